import Testing
import TrellisCore
@testable import TrellisDecorators

struct RateLimitDecoratorConfigTests {
    static let path = "functions.hello.decorators[0]"

    static func settings(_ json: String) throws -> DecoratorSettings {
        let object = try #require(try JSON.parse(json).objectValue)
        return DecoratorSettings(path: path, object: object)
    }

    static func environment(_ metrics: MetricsRegistry = MetricsRegistry()) -> DecoratorEnvironment {
        DecoratorEnvironment(metrics: metrics, environment: [:], logger: Logger(sink: MemoryLogSink()), functionName: "hello")
    }

    @Test func factoryBuildsDecorator() throws {
        let settings = try Self.settings(#"""
            {"type": "rateLimit", "key": "header", "header": "X-Tenant", "capacity": 20, "refillPerSecond": 5,
             "cost": 2, "shadow": true, "maxKeys": 500, "policyName": "tenant"}
            """#)
        let decorator = try #require(try RateLimitDecorator.make(settings, Self.environment()) as? RateLimitDecorator)
        #expect(decorator.name == "rateLimit(header:X-Tenant)")
        #expect(decorator.key == .header("X-Tenant"))
        #expect(decorator.cost == 2)
        #expect(decorator.shadow)
        #expect(decorator.policyName == "tenant")
    }

    @Test func factoryDefaults() throws {
        let settings = try Self.settings(#"{"type": "rateLimit", "capacity": 3, "refillPerSecond": 1}"#)
        let decorator = try #require(try RateLimitDecorator.make(settings, Self.environment()) as? RateLimitDecorator)
        #expect(decorator.name == "rateLimit(client)")
        #expect(decorator.key == .client)
        #expect(decorator.cost == 1)
        #expect(!decorator.shadow)
        #expect(decorator.policyName == "client")
    }

    @Test func factoryDecoratorCountsIntoEnvironmentMetrics() async throws {
        let metrics = MetricsRegistry()
        let settings = try Self.settings(#"{"type": "rateLimit", "capacity": 1, "refillPerSecond": 0.001}"#)
        let chain = DecoratorChain.compose([try RateLimitDecorator.make(settings, Self.environment(metrics))]) { _, _ in
            Response.text("ok")
        }
        let context = Context(requestID: "r", functionName: "hello", deadline: .now + .seconds(5), logger: Logger(sink: MemoryLogSink()))
        _ = try await chain(Request(), context)
        await #expect(throws: HTTPError.self) { try await chain(Request(), context) }
        let rendered = metrics.render()
        #expect(rendered.contains(#"trellis_ratelimit_decisions_total{function="hello",decorator="rateLimit(client)",outcome="allowed"} 1"#))
        #expect(rendered.contains(#"trellis_ratelimit_decisions_total{function="hello",decorator="rateLimit(client)",outcome="limited"} 1"#))
    }

    @Test(arguments: [
        (#"{"capacity": 3}"#, "refillPerSecond"),
        (#"{"refillPerSecond": 1}"#, "capacity"),
        (#"{"capacity": 0, "refillPerSecond": 1}"#, "capacity"),
        (#"{"capacity": 2.5, "refillPerSecond": 1}"#, "capacity"),
        (#"{"capacity": 3, "refillPerSecond": 0}"#, "refillPerSecond"),
        (#"{"capacity": 3, "refillPerSecond": "fast"}"#, "refillPerSecond"),
        (#"{"capacity": 3, "refillPerSecond": 1, "cost": 4}"#, "cost"),
        (#"{"capacity": 3, "refillPerSecond": 1, "key": "ip"}"#, "key"),
        (#"{"capacity": 3, "refillPerSecond": 1, "key": "header"}"#, "header"),
        (#"{"capacity": 3, "refillPerSecond": 1, "key": "header", "header": "X Tenant"}"#, "header"),
        (#"{"capacity": 3, "refillPerSecond": 1, "header": "X-Tenant"}"#, "header"),
        (#"{"capacity": 3, "refillPerSecond": 1, "maxKeys": 0}"#, "maxKeys"),
        (#"{"capacity": 3, "refillPerSecond": 1, "policyName": "a\"b"}"#, "policyName"),
        (#"{"capacity": 3, "refillPerSecond": 1, "policyName": ""}"#, "policyName"),
        (#"{"capacity": 3, "refillPerSecond": 1, "shadow": "yes"}"#, "shadow"),
        (#"{"capacity": 3, "refillPerSecond": 1, "burst": 5}"#, "burst"),
    ])
    func factoryErrorNamesField(json: String, field: String) throws {
        let settings = try Self.settings(json)
        #expect {
            _ = try RateLimitDecorator.make(settings, Self.environment())
        } throws: { error in
            (error as? ConfigError)?.field == "\(Self.path).\(field)"
        }
    }

    @Test func initializerErrorNamesField() {
        #expect {
            _ = try RateLimitDecorator(capacity: 5, refillPerSecond: 1, cost: 6)
        } throws: { error in
            (error as? ConfigError)?.field == "rateLimit.cost"
        }
    }
}
