import Synchronization
import Testing
import TrellisCore
import TrellisRuntime

private struct Boom: Error {}

private final class Flag: Sendable {
    private let storage = Atomic<Bool>(false)
    func set() { storage.store(true, ordering: .relaxed) }
    var isSet: Bool { storage.load(ordering: .relaxed) }
}

@Suite struct ResolvedFunctionTests {
    private func build(
        options: FunctionOptions = FunctionOptions(), sink: MemoryLogSink = MemoryLogSink(), handler: @escaping Handler
    ) throws -> (Application, ResolvedFunction) {
        let registry = FunctionRegistry()
        registry.register("f", options: options, handler: handler)
        let application = try Application.build(registry: registry, config: RuntimeConfig(), logSink: sink)
        return (application, try #require(application.function(named: "f")))
    }

    @Test func thrownErrorGives500AndIsLogged() async throws {
        let sink = MemoryLogSink()
        let (application, function) = try build(sink: sink) { _, _ in throw Boom() }
        let context = application.makeContext(for: function, incomingRequestID: "r1")
        let response = await function.invoke(Request(), context: context)
        #expect(response.status == 500)
        let line = try JSON.parse(try #require(sink.jsonLines.first))
        #expect(line["msg"] == "handler failed")
        #expect(line["requestId"] == "r1")
        #expect(line["error"]?.stringValue?.contains("Boom") == true)
        #expect(application.metrics.render().contains(#"trellis_invocations_total{function="f",status="500"} 1"#))
    }

    @Test(arguments: [100, 101, 199, 600, 0, -1])
    func invalidStatusGives500AndIsLogged(status: Int) async throws {
        let sink = MemoryLogSink()
        let (application, function) = try build(sink: sink) { _, _ in Response(status: status) }
        let context = application.makeContext(for: function, incomingRequestID: "r1")
        let response = await function.invoke(Request(), context: context)
        #expect(response.status == 500)
        let body = try JSON.parse(response.body)
        #expect(body["error"] == "invalid_status")
        let line = try JSON.parse(try #require(sink.jsonLines.first))
        #expect(line["msg"] == "handler returned an invalid status")
        #expect(line["status"] == .int(Int64(status)))
        #expect(application.metrics.render().contains(#"trellis_invocations_total{function="f",status="500"} 1"#))
    }

    @Test(arguments: [200, 204, 304, 418, 599])
    func validStatusPassesThrough(status: Int) async throws {
        let (application, function) = try build { _, _ in Response(status: status) }
        let context = application.makeContext(for: function, incomingRequestID: "r1")
        #expect(await function.invoke(Request(), context: context).status == status)
    }

    @Test func statusCountersCountEachInvocation() async throws {
        let failNext = Flag()
        let (application, function) = try build { _, _ in
            if failNext.isSet { throw Boom() }
            return Response.text("ok")
        }
        let series200 = #"trellis_invocations_total{function="f",status="200"}"#
        #expect(!application.metrics.render().contains(series200))
        for serial in 1...3 {
            let context = application.makeContext(for: function, incomingRequestID: "r\(serial)")
            #expect(await function.invoke(Request(), context: context).status == 200)
        }
        failNext.set()
        let context = application.makeContext(for: function, incomingRequestID: "r4")
        #expect(await function.invoke(Request(), context: context).status == 500)
        let rendered = application.metrics.render()
        #expect(rendered.contains(series200 + " 3"))
        #expect(rendered.contains(#"trellis_invocations_total{function="f",status="500"} 1"#))
    }

    @Test func deadlineGives504AndCancelsHandler() async throws {
        let cancelled = Flag()
        let (application, function) = try build(options: FunctionOptions(timeout: .milliseconds(50))) { _, _ in
            do {
                try await Task.sleep(for: .seconds(10))
            } catch {
                cancelled.set()
                throw error
            }
            return .text("late")
        }
        let start = ContinuousClock.now
        let context = application.makeContext(for: function, incomingRequestID: nil)
        let response = await function.invokeWithDeadline(Request(), context: context)
        #expect(response.status == 504)
        #expect(ContinuousClock.now - start < .seconds(5))
        #expect(context.isTimedOut)
        #expect(cancelled.isSet)
    }

    @Test func concurrencyLimitGives503WithRetryAfter() async throws {
        let (application, function) = try build(options: FunctionOptions(maxConcurrency: 1)) { _, _ in
            try await Task.sleep(for: .milliseconds(300))
            return .text("ok")
        }
        async let first = function.invoke(Request(), context: application.makeContext(for: function, incomingRequestID: nil))
        // Wait, at most 2 s, until the first invocation takes the only slot.
        let waitStart = ContinuousClock.now
        while function.inFlightCount == 0 && ContinuousClock.now - waitStart < .seconds(2) {
            try await Task.sleep(for: .milliseconds(5))
        }
        let second = await function.invoke(Request(), context: application.makeContext(for: function, incomingRequestID: nil))
        #expect(second.status == 503)
        #expect(second.headers["Retry-After"] == "1")
        #expect(try JSON.parse(second.body)["error"] == "concurrency_limit")
        #expect(await first.status == 200)
    }

    @Test func headIsAllowedWhereGetIs() throws {
        let (_, function) = try build(options: FunctionOptions(methods: ["GET"])) { _, _ in .text("x") }
        #expect(function.allows(method: "HEAD"))
        #expect(!function.allows(method: "POST"))
        #expect(function.allowHeader == "GET, HEAD")
    }
}
