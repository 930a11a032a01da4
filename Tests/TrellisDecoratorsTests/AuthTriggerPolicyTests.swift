import Testing
import TrellisCore
@testable import TrellisDecorators

private let jwtNow: Int64 = 1_700_000_000

/// Both auth decorators, built from config with `allowTriggers`.
private func decorators(allowTriggers: [String], support: AuthDecoratorTestSupport) throws -> [any BatchDecorator] {
    let apiKey = try APIKeyDecorator.makeDecorator(
        DecoratorSettings(
            path: "functions.hello.decorators[0]",
            object: [
                (key: "type", value: "apiKey"),
                (key: "keys", value: [["id": "ci", "env": "CI_KEY"]]),
                (key: "allowTriggers", value: .array(allowTriggers.map { .string($0) })),
            ]),
        support.environment(["CI_KEY": "ci-key-0123456789abcdef"]))
    let jwt = try JWTDecorator.make(
        DecoratorSettings(
            path: "functions.hello.decorators[1]",
            object: [
                (key: "type", value: "jwt"), (key: "algorithm", value: "HS256"),
                (key: "secret", value: .string(String(decoding: JWTTestSigner.hmacSecret, as: UTF8.self))),
                (key: "allowTriggers", value: .array(allowTriggers.map { .string($0) })),
            ]),
        support.environment(), clock: { jwtNow })
    return [apiKey, jwt]
}

private func context(_ principal: Principal?, support: AuthDecoratorTestSupport) -> Context {
    let context = Context(
        requestID: "batch-1", functionName: AuthDecoratorTestSupport.functionName, deadline: .now + .seconds(5),
        logger: Logger(level: .trace, sink: support.sink))
    context.principal = principal
    return context
}

private let uploads = Principal(id: "trigger:uploads", scheme: "trigger")

@Suite struct AuthTriggerPolicyTests {
    struct Row: Sendable, CustomTestStringConvertible {
        var testDescription: String
        var allowTriggers: [String]
        var principal: Principal?
        var allowed: Bool
    }

    static let rows: [Row] = [
        Row(testDescription: "listed trigger", allowTriggers: ["uploads"], principal: uploads, allowed: true),
        Row(testDescription: "wildcard", allowTriggers: ["*"], principal: uploads, allowed: true),
        Row(testDescription: "other trigger listed", allowTriggers: ["nightly"], principal: uploads, allowed: false),
        Row(testDescription: "default empty list", allowTriggers: [], principal: uploads, allowed: false),
        Row(testDescription: "no principal", allowTriggers: ["*"], principal: nil, allowed: false),
        Row(testDescription: "API key principal", allowTriggers: ["*"], principal: Principal(id: "ci", scheme: "apiKey"), allowed: false),
        Row(testDescription: "trigger scheme without prefix", allowTriggers: ["uploads"], principal: Principal(id: "uploads", scheme: "trigger"), allowed: false),
    ]

    @Test(arguments: rows)
    func batchAllowRule(_ row: Row) async throws {
        let support = AuthDecoratorTestSupport()
        for decorator in try decorators(allowTriggers: row.allowTriggers, support: support) {
            let chain = BatchDecoratorChain.compose([decorator]) { _, _ in .success }
            let batch = Batch(trigger: "uploads", events: [Event(id: "e1", trigger: "uploads", source: "t", time: 0, data: [])], maxAttempts: 3)
            do {
                _ = try await chain(batch, context(row.principal, support: support))
                #expect(row.allowed, "\(decorator.name) let the batch through")
            } catch let error as HTTPError {
                #expect(!row.allowed, "\(decorator.name) rejected the batch")
                #expect(error.status == 403)
                #expect(error.code == "trigger_not_allowed")
            }
        }
    }

    @Test(arguments: rows)
    func ordinaryInvocationWithTriggerPrincipal(_ row: Row) async throws {
        // Only rows with a trigger principal take the trigger path; the others read headers and get 401.
        let support = AuthDecoratorTestSupport()
        for decorator in try decorators(allowTriggers: row.allowTriggers, support: support) {
            let context = context(row.principal, support: support)
            let chain = DecoratorChain.compose([decorator]) { _, _ in .text("ok") }
            let response: Response
            do {
                response = try await chain(Request(method: "POST", body: Array("{}".utf8)), context)
            } catch {
                response = ErrorMapping.response(for: error, context: context)
            }
            let isTrigger = row.principal?.scheme == "trigger"
            let expected = row.allowed ? 200 : (isTrigger ? 403 : 401)
            #expect(response.status == expected, "\(decorator.name)")
            if expected == 403 { #expect(AuthDecoratorTestSupport.errorCode(response) == "trigger_not_allowed") }
            if row.allowed { #expect(context.principal == row.principal, "the trigger principal is kept") }
        }
    }

    @Test func httpRequestWithoutCredentialsStillGets401() async throws {
        let support = AuthDecoratorTestSupport()
        for decorator in try decorators(allowTriggers: ["*"], support: support) {
            let (response, principal) = await support.run(decorator, headers: [])
            #expect(response.status == 401, "\(decorator.name)")
            #expect(AuthDecoratorTestSupport.errorCode(response) == "missing_credentials")
            #expect(principal == nil)
        }
    }

    @Test func denialIsCountedAndNamesTrigger() async throws {
        let support = AuthDecoratorTestSupport()
        let decorator = try decorators(allowTriggers: ["nightly"], support: support)[0]
        let chain = BatchDecoratorChain.compose([decorator]) { _, _ in .success }
        let batch = Batch(trigger: "uploads", events: [], maxAttempts: 3)
        await #expect(throws: HTTPError.self) { try await chain(batch, context(uploads, support: support)) }
        do {
            _ = try await chain(batch, context(uploads, support: support))
        } catch let error as HTTPError {
            #expect(error.message.contains("\"uploads\""))
        }
        let text = support.metrics.render()
        #expect(text.contains(#"trellis_auth_failures_total{function="hello",decorator="apiKey",reason="trigger_not_allowed"} 2"#))
    }

    @Test(arguments: ["", "-x", "a b", String(repeating: "a", count: 65), "**"])
    func invalidEntryRejected(_ entry: String) {
        #expect(throws: ConfigError.self) { try AuthTriggerPolicy(allowTriggers: ["ok", entry]) }
        do {
            _ = try AuthTriggerPolicy(allowTriggers: ["ok", entry])
        } catch {
            #expect(error.field == "allowTriggers[1]")
        }
    }

    @Test func configReadsAllowTriggers() throws {
        let support = AuthDecoratorTestSupport()
        let built = try decorators(allowTriggers: ["uploads", "*"], support: support)
        #expect((built[0] as? APIKeyDecorator)?.allowTriggers == ["uploads", "*"])
        #expect((built[1] as? JWTDecorator)?.allowTriggers == ["uploads", "*"])
    }
}
