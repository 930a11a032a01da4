import Testing
import TrellisCore
@testable import TrellisDecorators

@Suite struct LoggingDecoratorTests {
    private func run(
        _ decorators: [any Decorator], request: Request = Request(method: "POST", path: "/a", query: "api_key=s3cret"),
        context: Context? = nil, handler: @escaping Handler
    ) async -> (Response?, [JSON], Context) {
        let sink = MemoryLogSink()
        let context = context ?? Context(
            requestID: "req-7", functionName: "fn", deadline: .now + .seconds(5), logger: Logger(level: .info, sink: sink))
        let chain = DecoratorChain.compose(decorators, around: handler)
        let response = try? await chain(request, context)
        let lines = sink.jsonLines.compactMap { try? JSON.parse($0) }
        return (response, lines, context)
    }

    @Test func writesOneLinePerInvocation() async throws {
        var request = Request(method: "POST", path: "/a", query: "api_key=s3cret", body: Array("12345".utf8))
        request.headers.add("Authorization", "Bearer tok-secret")
        request.headers.add("Cookie", "session=cookie-secret")
        let (response, lines, _) = await run([LoggingDecorator()], request: request) { _, context in
            context.principal = Principal(id: "ci", scheme: "apiKey")
            context.rateLimitOutcome = .allowed
            return .text("hello")
        }
        #expect(response?.status == 200)
        #expect(lines.count == 1)
        let line = try #require(lines.first)
        #expect(line["msg"] == "invocation")
        #expect(line["requestId"] == "req-7")
        #expect(line["function"] == "fn")
        #expect(line["method"] == "POST")
        #expect(line["path"] == "/a")
        #expect(line["status"] == 200)
        #expect(line["bytesIn"] == 5)
        #expect(line["bytesOut"] == 5)
        #expect(line["principal"] == "ci")
        #expect(line["rateLimit"] == "allowed")
        #expect(line["durationMs"]?.doubleValue != nil)
        let text = line.serialized()
        for secret in ["s3cret", "tok-secret", "cookie-secret"] {
            #expect(!text.contains(secret), "log line leaks \(secret)")
        }
    }

    @Test func errorsAreLoggedWithTheStatusSent() async throws {
        let (_, lines, _) = await run([LoggingDecorator()]) { _, _ in
            throw HTTPError(429, code: "rate_limited", message: "slow down")
        }
        let line = try #require(lines.first)
        #expect(line["status"] == 429)
        #expect(line["error"] == "rate_limited")
        #expect(line["level"] == "warning")

        struct Failure: Error {}
        let (_, failed, _) = await run([LoggingDecorator()]) { _, _ in throw Failure() }
        #expect(failed.first?["status"] == 500)
        #expect(failed.first?["error"] == "internal_error")
        #expect(failed.first?["level"] == "error")
    }

    @Test func timedOutInvocationIsLoggedAs504() async throws {
        let (_, lines, _) = await run([LoggingDecorator()]) { _, context in
            context.markTimedOut()
            return .text("late")
        }
        #expect(lines.first?["status"] == 504)
    }

    /// The sink trusts `fieldKeys` instead of checking each line, so every key must be listed there.
    @Test func invocationFieldKeysListEveryKey() throws {
        let keys = try #require(InvocationLogFields.fieldKeys)
        #expect(keys.isClean)
        for errorCode in [nil, "timeout"] as [String?] {
            let fields = InvocationLogFields(
                method: "GET", path: "", status: 200, durationMilliseconds: 1, bytesIn: 0, bytesOut: 0, client: "c",
                principal: "p", rateLimit: .allowed, errorCode: errorCode)
            var passed: [String] = []
            fields.forEachField { key, _ in passed.append(key) }
            #expect(passed.allSatisfy(keys.contains), "\(passed)")
            #expect(passed.count == (errorCode == nil ? 9 : 10))
        }
    }

    /// `appendJSONMembers` writes its keys as literals; its bytes must stay those `forEachField` gives.
    @Test func invocationMembersMatchForEachField() {
        let outcomes: [RateLimitOutcome?] = [nil, .allowed, .limited, .shadowLimited]
        for (index, outcome) in outcomes.enumerated() {
            let fields = InvocationLogFields(
                method: "POST", path: index.isMultiple(of: 2) ? "" : "/a\"b\u{1}", status: 200 + index,
                durationMilliseconds: 0.0123456 * Double(index + 1), bytesIn: index, bytesOut: 10 * index,
                client: "127.0.0.1", principal: index == 1 ? nil : "key-\(index)", rateLimit: outcome,
                errorCode: index == 3 ? "timeout" : nil)
            var literal = JSONWriter()
            fields.appendJSONMembers(to: &literal)
            var generic = JSONWriter()
            fields.forEachField { key, value in
                generic.appendRaw(UInt8(ascii: ","))
                generic.append(string: key)
                generic.appendRaw(UInt8(ascii: ":"))
                generic.append(value)
            }
            #expect(literal.bytes == generic.bytes, "\(String(decoding: literal.bytes, as: UTF8.self))")
        }
    }

    @Test func factoryRejectsUnknownSetting() {
        let settings = DecoratorSettings(path: "defaults.decorators[0]", object: [("type", "logging"), ("levle", "info")])
        let environment = DecoratorEnvironment(metrics: MetricsRegistry(), environment: [:], logger: Logger(sink: MemoryLogSink()))
        do {
            _ = try LoggingDecorator.make(settings, environment)
            Issue.record("expected an error")
        } catch let error as ConfigError {
            #expect(error.field == "defaults.decorators[0].levle")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }
}
