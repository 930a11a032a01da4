import Functions
import Glibc
import Synchronization
import Testing
import TrellisCore
import TrellisGateway
import TrellisRuntime
import TrellisTestSupport

/// Counts handler runs with and without a surrounding task.
private final class TaskProbe: Sendable {
    private let counts = Mutex((inTask: 0, withoutTask: 0))
    func record() {
        let inTask = withUnsafeCurrentTask { $0 != nil }
        counts.withLock { inTask ? ($0.inTask += 1) : ($0.withoutTask += 1) }
    }
    var inTask: Int { counts.withLock { $0.inTask } }
    var withoutTask: Int { counts.withLock { $0.withoutTask } }
}

/// The inline path against the async path, through a real gateway on 127.0.0.1.
@Suite struct GatewayInlineTests {
    /// The key whose SHA-256 the config lists.
    static let apiKey = "inline-test-key"
    /// Two tokens per function and client, refilled far slower than the test runs.
    static let config = #"""
        {"defaults": {"decorators": [
            {"type": "logging"},
            {"type": "apiKey", "header": "X-API-Key",
             "keys": [{"id": "ci", "sha256": "68fe0156aae0f3fc715ec6b1edbfcac3752178bb27e0a23e4f372efd74745939"}]},
            {"type": "rateLimit", "key": "client", "capacity": 2, "refillPerSecond": 0.001, "policyName": "burst"}]},
         "functions": {"echo": {"decorators": [{"type": "serverTiming", "metric": "echo"}]}}}
        """#

    private static func withGateway(
        _ body: (Gateway, Application, MemoryLogSink, Int, TaskProbe, TaskProbe) async throws -> Void
    ) async throws {
        let inlineProbe = TaskProbe()
        let asyncProbe = TaskProbe()
        let registry = FunctionRegistry()
        // The shipped functions: `echo` is registered inline, and the config gives it the async-only `serverTiming`.
        Functions.register(into: registry)
        // The same handler, registered both ways.
        registry.registerInline("greet-inline") { request, context in
            inlineProbe.record()
            return .text("hi \(context.principal?.id ?? "-") \(request.path)")
        }
        registry.register("greet-async") { request, context in
            asyncProbe.record()
            return .text("hi \(context.principal?.id ?? "-") \(request.path)")
        }
        registry.registerInline("late", options: FunctionOptions(timeout: .milliseconds(20))) { _, _ in
            usleep(60_000)
            return .text("late")
        }
        var config = try RuntimeConfig.parse(Array(Self.config.utf8))
        config.server.host = "127.0.0.1"
        config.server.port = 0
        let logs = MemoryLogSink()
        let application = try Application.build(registry: registry, config: config, logSink: logs)
        let gateway = Gateway(application: application, eventLoops: 1)
        let port = try gateway.start()
        do {
            try await body(gateway, application, logs, port, inlineProbe, asyncProbe)
        } catch {
            await gateway.shutdown(grace: .seconds(2))
            throw error
        }
        await gateway.shutdown(grace: .seconds(2))
    }

    /// One step of the comparison: the request id sent and whether the key is.
    private static let steps: [(id: String, sendsKey: Bool)] = [
        ("t-none", false), ("t-1", true), ("t-2", true), ("t-3", true),
    ]

    private static func run(_ function: String, port: Int) async throws -> [TestResponse] {
        var responses: [TestResponse] = []
        for step in steps {
            var headers = [("X-Request-Id", step.id)]
            if step.sendsKey { headers.append(("X-API-Key", apiKey)) }
            responses.append(try await TestClient.request(port: port, "GET", "/function/\(function)/p", headers: headers))
        }
        return responses
    }

    /// Header fields other than `Date`, in order.
    private static func fields(_ response: TestResponse) -> [String] {
        response.headers.filter { $0.name.lowercased() != "date" }.map { "\($0.name): \($0.value)" }
    }

    @Test func inlineMatchesAsyncPath() async throws {
        try await Self.withGateway { _, application, logs, port, inlineProbe, asyncProbe in
            #expect(try #require(application.function(named: "greet-inline")).runsInline)
            #expect(try !#require(application.function(named: "greet-async")).runsInline)

            let inline = try await Self.run("greet-inline", port: port)
            let async = try await Self.run("greet-async", port: port)
            #expect(inline.map(\.status) == [401, 200, 200, 429])
            #expect(async.map(\.status) == [401, 200, 200, 429])
            for (inlineResponse, asyncResponse) in zip(inline, async) {
                #expect(Self.fields(inlineResponse) == Self.fields(asyncResponse))
                #expect(inlineResponse.text == asyncResponse.text)
            }
            #expect(inline[0].header("WWW-Authenticate")?.contains("realm=\"trellis\"") == true)
            #expect(inline[1].text == "hi ci /p")
            #expect(inline[1].header("RateLimit-Policy")?.hasPrefix("\"burst\"") == true)
            #expect(inline[1].header("RateLimit")?.hasPrefix("\"burst\"") == true)
            #expect(inline[3].header("RateLimit")?.hasPrefix("\"burst\"") == true)
            #expect(inline[3].header("Retry-After") != nil)
            #expect(try JSON.parse(inline[3].body)["error"] == "rate_limited")
            #expect(try JSON.parse(inline[0].body)["error"] == "missing_credentials")

            // The inline handler ran without a task; the async one in one.
            #expect(inlineProbe.withoutTask == 2)
            #expect(inlineProbe.inTask == 0)
            #expect(asyncProbe.inTask == 2)

            let lines = logs.jsonLines.compactMap { try? JSON.parse($0) }.filter { $0["msg"] == "invocation" }
            for step in Self.steps {
                let inlineLine = try #require(lines.first { $0["requestId"]?.stringValue == step.id && $0["function"] == "greet-inline" })
                let asyncLine = try #require(lines.first { $0["requestId"]?.stringValue == step.id && $0["function"] == "greet-async" })
                for key in ["level", "method", "path", "status", "bytesIn", "bytesOut", "client", "principal", "rateLimit", "error"] {
                    #expect(inlineLine[key] == asyncLine[key], "field \(key) of \(step.id)")
                }
            }
        }
    }

    @Test func asyncOnlyDecoratorUsesAsyncPath() async throws {
        try await Self.withGateway { _, application, _, port, _, _ in
            #expect(try !#require(application.function(named: "echo")).runsInline)
            #expect(try #require(application.function(named: "hello")).runsInline)
            let response = try await TestClient.request(
                port: port, "POST", "/function/echo", headers: [("X-API-Key", Self.apiKey), ("Content-Type", "text/plain")],
                body: "ping")
            #expect(response.status == 200)
            #expect(response.text == "ping")
            #expect(response.header("Server-Timing")?.hasPrefix("echo;dur=") == true)
            #expect(response.header("RateLimit-Policy")?.hasPrefix("\"burst\"") == true)

            let listing = try JSON.parse(try await TestClient.request(port: port, "GET", "/functions").body)
            let entries = try #require(listing.arrayValue)
            #expect(entries.first { $0["name"] == "echo" }?["inline"] == .bool(false))
            #expect(entries.first { $0["name"] == "greet-inline" }?["inline"] == .bool(true))
        }
    }

    @Test func lateInlineHandlerGets504() async throws {
        try await Self.withGateway { _, _, logs, port, _, _ in
            let client = try TestClient(port: port)
            try client.send("GET /function/late HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: \(Self.apiKey)\r\n\r\n")
            let response = try await client.readResponse()
            #expect(response.status == 504)
            #expect(try JSON.parse(response.body)["error"] == "timeout")
            // The connection stays usable, as after an async function's 504.
            try client.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            #expect(try await client.readResponse().status == 200)
            let line = try #require(
                logs.jsonLines.compactMap { try? JSON.parse($0) }.first { $0["msg"] == "invocation" && $0["function"] == "late" })
            #expect(line["status"] == 504)
            #expect(line["error"] == "timeout")
        }
    }
}
