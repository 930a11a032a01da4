import Synchronization
import Testing
import TrellisCore
@testable import TrellisDecorators

/// A clock the test sets by hand, in monotonic nanoseconds.
final class ManualClock: Sendable {
    private let instant = Atomic<UInt64>(0)

    var now: UInt64 { instant.load(ordering: .relaxed) }

    func set(seconds: Double) { instant.store(UInt64(seconds * 1e9), ordering: .relaxed) }
}

/// A chain of one rate-limit decorator around a handler that returns 200 `ok`, or throws the
/// error of `failure` when set.
struct LimitedFunction {
    let clock = ManualClock()
    let metrics = MetricsRegistry()
    let logs = MemoryLogSink()
    let decorator: RateLimitDecorator
    let chain: Handler

    init(
        key: RateLimitKey = .client, capacity: Int, refillPerSecond: Double, cost: Int = 1, shadow: Bool = false,
        policyName: String? = nil, failure: HTTPError? = nil
    ) throws {
        let clock = clock
        decorator = try RateLimitDecorator(
            key: key, capacity: capacity, refillPerSecond: refillPerSecond, cost: cost, shadow: shadow,
            policyName: policyName, metrics: metrics, functionName: "hello", clock: { clock.now })
        chain = DecoratorChain.compose([decorator], around: { _, _ in
            if let failure { throw failure }
            return Response.text("ok")
        })
    }

    func context() -> Context {
        Context(requestID: "req-1", functionName: "hello", deadline: .now + .seconds(30), logger: Logger(sink: logs))
    }

    /// Runs the chain and renders a thrown error as the invoker would.
    func invoke(_ request: Request = Request(clientAddress: "192.0.2.1"), context: Context? = nil) async -> Response {
        let context = context ?? self.context()
        do {
            return try await chain(request, context)
        } catch {
            return ErrorMapping.response(for: error, context: context)
        }
    }
}

struct RateLimitDecoratorTests {
    @Test func refusalIs429WithFields() async throws {
        let function = try LimitedFunction(capacity: 2, refillPerSecond: 0.5)

        let first = await function.invoke()
        #expect(first.status == 200)
        #expect(first.headers["RateLimit-Policy"] == "\"client\";q=2;w=4")
        #expect(first.headers["RateLimit"] == "\"client\";r=1;t=2")

        let second = await function.invoke()
        #expect(second.status == 200)
        #expect(second.headers["RateLimit"] == "\"client\";r=0;t=4")

        let third = await function.invoke()
        #expect(third.status == 429)
        #expect(third.headers["Retry-After"] == "2")
        #expect(third.headers["RateLimit-Policy"] == "\"client\";q=2;w=4")
        #expect(third.headers["RateLimit"] == "\"client\";r=0;t=2")
        let body = try JSON.parse(third.bodyText)
        #expect(body["error"] == "rate_limited")
        #expect(body["requestId"] == "req-1")
    }

    @Test(arguments: [
        // (refill per second, instant of the refused request in seconds, expected Retry-After)
        (1.0, 0.0, "1"),
        (1.0, 0.999_999_999, "1"),
        (1000.0, 0.0, "1"),
        (0.25, 0.0, "4"),
        (0.25, 1.0, "3"),
        (0.25, 1.5, "3"),
        (0.25, 3.5, "1"),
    ])
    func retryAfterRoundsUp(rate: Double, refusedAt: Double, expected: String) async throws {
        let function = try LimitedFunction(capacity: 1, refillPerSecond: rate)
        #expect(await function.invoke().status == 200)
        function.clock.set(seconds: refusedAt)
        let refused = await function.invoke()
        #expect(refused.status == 429)
        #expect(refused.headers["Retry-After"] == expected)
    }

    @Test func fieldsUseCostAndPolicyName() async throws {
        let function = try LimitedFunction(capacity: 10, refillPerSecond: 2, cost: 3, policyName: "tenant")
        let response = await function.invoke()
        // q = floor(10 / 3), w = ceil(10 / 2), r = floor(7 / 3), t = ceil(3 / 2).
        #expect(response.headers["RateLimit-Policy"] == "\"tenant\";q=3;w=5")
        #expect(response.headers["RateLimit"] == "\"tenant\";r=2;t=2")
    }

    @Test func fieldsAreAddedToThrownHTTPError() async throws {
        let function = try LimitedFunction(
            capacity: 5, refillPerSecond: 1, failure: HTTPError(404, code: "not_found", message: "No such item."))
        let response = await function.invoke()
        #expect(response.status == 404)
        #expect(response.headers["RateLimit"] == "\"client\";r=4;t=1")
        #expect(response.headers["RateLimit-Policy"] == "\"client\";q=5;w=5")
    }

    @Test func outcomeIsSetOnContext() async throws {
        let function = try LimitedFunction(capacity: 1, refillPerSecond: 1)
        let allowedContext = function.context()
        _ = await function.invoke(context: allowedContext)
        #expect(allowedContext.rateLimitOutcome == .allowed)

        let limitedContext = function.context()
        _ = await function.invoke(context: limitedContext)
        #expect(limitedContext.rateLimitOutcome == .limited)
    }

    @Test func shadowModeLetsRefusalsThrough() async throws {
        let function = try LimitedFunction(capacity: 1, refillPerSecond: 0.1, shadow: true)
        #expect(await function.invoke().status == 200)

        let context = function.context()
        let shadowed = await function.invoke(context: context)
        #expect(shadowed.status == 200)
        #expect(shadowed.bodyText == "ok")
        #expect(shadowed.headers["RateLimit"] == nil)
        #expect(shadowed.headers["Retry-After"] == nil)
        #expect(context.rateLimitOutcome == .shadowLimited)

        let rendered = function.metrics.render()
        #expect(rendered.contains(#"trellis_ratelimit_decisions_total{function="hello",decorator="rateLimit(client)",outcome="shadow_limited"} 1"#))
        #expect(rendered.contains(#"trellis_ratelimit_decisions_total{function="hello",decorator="rateLimit(client)",outcome="limited"} 0"#))
    }

    @Test func shadowWarningsAreRateLimited() async throws {
        let function = try LimitedFunction(capacity: 1, refillPerSecond: 0.01, shadow: true)
        _ = await function.invoke()
        for _ in 0..<5 { _ = await function.invoke() }
        function.clock.set(seconds: 1)
        _ = await function.invoke()

        let warnings = function.logs.all.filter { $0.level == .warning }
        try #require(warnings.count == 2)
        func field(_ record: LogRecord, _ name: String) -> JSON? { record.fields.first { $0.0 == name }?.1 }
        #expect(field(warnings[0], "suppressed") == .int(0))
        #expect(field(warnings[1], "suppressed") == .int(4))
        #expect(field(warnings[0], "key") == "192.0.2.1")
        #expect(field(warnings[0], "requestId") == "req-1")
    }

    @Test func headerValueIsNotLogged() async throws {
        let function = try LimitedFunction(key: .header("X-Api-Key"), capacity: 1, refillPerSecond: 0.01, shadow: true)
        let request = Request(headers: Headers([("X-Api-Key", "secret-value")]), clientAddress: "192.0.2.1")
        _ = await function.invoke(request)
        _ = await function.invoke(request)
        #expect(function.logs.all.count == 1)
        #expect(!function.logs.jsonLines.joined().contains("secret-value"))
    }

    @Test func metricsCountEachOutcome() async throws {
        let function = try LimitedFunction(capacity: 2, refillPerSecond: 1)
        for _ in 0..<5 { _ = await function.invoke() }
        let rendered = function.metrics.render()
        #expect(rendered.contains(#"trellis_ratelimit_decisions_total{function="hello",decorator="rateLimit(client)",outcome="allowed"} 2"#))
        #expect(rendered.contains(#"trellis_ratelimit_decisions_total{function="hello",decorator="rateLimit(client)",outcome="limited"} 3"#))
    }

    @Test func clientsHaveSeparateBuckets() async throws {
        let function = try LimitedFunction(capacity: 1, refillPerSecond: 1)
        #expect(await function.invoke(Request(clientAddress: "192.0.2.1")).status == 200)
        #expect(await function.invoke(Request(clientAddress: "192.0.2.1")).status == 429)
        #expect(await function.invoke(Request(clientAddress: "192.0.2.2")).status == 200)
    }

    @Test func principalKeyFallsBackToClient() async throws {
        let function = try LimitedFunction(key: .principal, capacity: 1, refillPerSecond: 1)
        let request = Request(clientAddress: "192.0.2.1")

        let alice = function.context()
        alice.principal = Principal(id: "alice", scheme: "apiKey")
        #expect(await function.invoke(request, context: alice).status == 200)
        // An anonymous request from the same address has its own bucket, keyed by the address.
        #expect(await function.invoke(request).status == 200)
        #expect(await function.invoke(request).status == 429)

        let aliceAgain = function.context()
        aliceAgain.principal = Principal(id: "alice", scheme: "apiKey")
        #expect(await function.invoke(Request(clientAddress: "192.0.2.9"), context: aliceAgain).status == 429)
    }

    @Test func headerKeyFallsBackToClient() async throws {
        let function = try LimitedFunction(key: .header("X-Tenant"), capacity: 1, refillPerSecond: 1)
        let tenantA = Request(headers: Headers([("x-tenant", "a")]), clientAddress: "192.0.2.1")
        let tenantB = Request(headers: Headers([("X-Tenant", "b")]), clientAddress: "192.0.2.1")
        let anonymous = Request(clientAddress: "192.0.2.1")
        #expect(await function.invoke(tenantA).status == 200)
        #expect(await function.invoke(tenantA).status == 429)
        #expect(await function.invoke(tenantB).status == 200)
        #expect(await function.invoke(anonymous).status == 200)
        #expect(await function.invoke(anonymous).status == 429)
        #expect(function.decorator.name == "rateLimit(header:X-Tenant)")
    }

    @Test func functionKeySharesOneBucket() async throws {
        let function = try LimitedFunction(key: .function, capacity: 1, refillPerSecond: 1)
        #expect(await function.invoke(Request(clientAddress: "192.0.2.1")).status == 200)
        #expect(await function.invoke(Request(clientAddress: "192.0.2.2")).status == 429)
    }

    @Test func longHeaderValuesAreHashed() throws {
        let context = Context(requestID: "r", functionName: "f", deadline: .now, logger: Logger(sink: MemoryLogSink()))
        let long = String(repeating: "x", count: RateLimitKey.maxHeaderValueBytes + 1)
        let key = RateLimitKey.header("X-Tenant").bucketKey(
            for: Request(headers: Headers([("X-Tenant", long)])), context: context)
        #expect(key.hasPrefix("h#"))
        #expect(key.utf8.count <= 18)
    }

    @Test func refillAllowsAgainAfterWait() async throws {
        let function = try LimitedFunction(capacity: 1, refillPerSecond: 0.5)
        #expect(await function.invoke().status == 200)
        function.clock.set(seconds: 1.5)
        #expect(await function.invoke().status == 429)
        function.clock.set(seconds: 2)
        #expect(await function.invoke().status == 200)
    }
}
