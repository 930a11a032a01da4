import Foundation
import Synchronization
import Testing
import TrellisCore
import TrellisRuntime

private struct Boom: Error {}

/// An async-only decorator: it adds `X-Stamp` to the response.
private struct Stamp: Decorator {
    let name = "stamp"
    func handle(_ request: Request, context: Context, next: Handler) async throws -> Response {
        var response = try await next(request, context)
        response.headers.add("X-Stamp", "1")
        return response
    }
}

/// A latch that one thread waits on until another opens it, for at most 10 s.
private final class Latch: Sendable {
    private let isOpen = Atomic<Bool>(false)
    func open() { isOpen.store(true, ordering: .relaxed) }
    func waitBlocking() {
        let end = ContinuousClock.now + .seconds(10)
        while !isOpen.load(ordering: .relaxed) && ContinuousClock.now < end { usleep(2_000) }
    }
}

@Suite struct ResolvedFunctionInlineTests {
    static let loggingConfig = #"{"defaults": {"decorators": [{"type": "logging"}]}}"#

    private func build(
        options: FunctionOptions = FunctionOptions(), config: String = "{}", sink: MemoryLogSink = MemoryLogSink(),
        handler: @escaping InlineHandler
    ) throws -> (Application, ResolvedFunction) {
        let registry = FunctionRegistry()
        registry.registerInline("f", options: options, handler: handler)
        let application = try Application.build(
            registry: registry, config: try RuntimeConfig.parse(Array(config.utf8)), logSink: sink)
        return (application, try #require(application.function(named: "f")))
    }

    private func invocationLine(_ sink: MemoryLogSink) throws -> JSON {
        let lines = try sink.jsonLines.map { try JSON.parse($0) }
        return try #require(lines.first { $0["msg"] == "invocation" })
    }

    @Test func inlineChainReturnsResponse() throws {
        let sink = MemoryLogSink()
        let (application, function) = try build(config: Self.loggingConfig, sink: sink) { request, _ in
            .text("hi \(request.path)")
        }
        #expect(function.runsInline)
        let context = application.makeContext(for: function, incomingRequestID: "r1")
        let response = function.invokeInline(Request(path: "/x"), context: context)
        #expect(response.status == 200)
        #expect(String(decoding: response.body, as: UTF8.self) == "hi /x")
        #expect(try invocationLine(sink)["status"] == 200)
        #expect(application.metrics.render().contains(#"trellis_invocations_total{function="f",status="200"} 1"#))
    }

    @Test func httpErrorMapsAsAsync() throws {
        let (application, function) = try build { _, _ in
            throw HTTPError(422, code: "empty_name", message: "Field 'name' is empty.")
        }
        let context = application.makeContext(for: function, incomingRequestID: "r1")
        let response = function.invokeInline(Request(), context: context)
        #expect(response.status == 422)
        let body = try JSON.parse(response.body)
        #expect(body["error"] == "empty_name")
        #expect(body["requestId"] == "r1")
    }

    @Test func otherErrorGives500AndIsLogged() throws {
        let sink = MemoryLogSink()
        let (application, function) = try build(sink: sink) { _, _ in throw Boom() }
        let context = application.makeContext(for: function, incomingRequestID: "r1")
        let response = function.invokeInline(Request(), context: context)
        #expect(response.status == 500)
        #expect(try JSON.parse(response.body)["error"] == "internal_error")
        let line = try JSON.parse(try #require(sink.jsonLines.first))
        #expect(line["msg"] == "handler failed")
        #expect(line["error"]?.stringValue?.contains("Boom") == true)
        #expect(application.metrics.render().contains(#"trellis_invocations_total{function="f",status="500"} 1"#))
    }

    @Test func lateReturnGives504LoggedAsTimeout() throws {
        let sink = MemoryLogSink()
        let options = FunctionOptions(timeout: .milliseconds(20))
        let (application, function) = try build(options: options, config: Self.loggingConfig, sink: sink) { _, _ in
            usleep(60_000)
            return .text("late")
        }
        let context = application.makeContext(for: function, incomingRequestID: "r1")
        let response = function.invokeInline(Request(), context: context)
        #expect(response.status == 504)
        #expect(try JSON.parse(response.body)["error"] == "timeout")
        #expect(context.isTimedOut)
        let line = try invocationLine(sink)
        #expect(line["status"] == 504)
        #expect(line["error"] == "timeout")
        #expect(!sink.jsonLines.contains { $0.contains("handler failed") })
        #expect(application.metrics.render().contains(#"trellis_invocations_total{function="f",status="504"} 1"#))
    }

    @Test func lateThrowGives504() throws {
        let sink = MemoryLogSink()
        let (application, function) = try build(options: FunctionOptions(timeout: .milliseconds(20)), sink: sink) { _, _ in
            usleep(60_000)
            throw Boom()
        }
        let context = application.makeContext(for: function, incomingRequestID: nil)
        #expect(function.invokeInline(Request(), context: context).status == 504)
        #expect(!sink.jsonLines.contains { $0.contains("handler failed") })
    }

    @Test func asyncFormChecksDeadlineToo() async throws {
        let (application, function) = try build(options: FunctionOptions(timeout: .milliseconds(20))) { _, _ in
            usleep(60_000)
            return .text("late")
        }
        let context = application.makeContext(for: function, incomingRequestID: nil)
        #expect(await function.invoke(Request(), context: context).status == 504)
    }

    @Test func concurrencyLimitGives503() async throws {
        let latch = Latch()
        let (application, function) = try build(options: FunctionOptions(maxConcurrency: 1)) { _, _ in
            latch.waitBlocking()
            return .text("ok")
        }
        let first = Task.detached {
            function.invokeInline(Request(), context: application.makeContext(for: function, incomingRequestID: nil))
        }
        // Wait, at most 2 s, until the first invocation takes the only slot.
        let waitStart = ContinuousClock.now
        while function.inFlightCount == 0 && ContinuousClock.now - waitStart < .seconds(2) {
            try await Task.sleep(for: .milliseconds(5))
        }
        let second = function.invokeInline(Request(), context: application.makeContext(for: function, incomingRequestID: nil))
        latch.open()
        #expect(second.status == 503)
        #expect(second.headers["Retry-After"] == "1")
        #expect(try JSON.parse(second.body)["error"] == "concurrency_limit")
        #expect(await first.value.status == 200)
        #expect(application.metrics.render().contains(#"trellis_concurrency_rejections_total{function="f"} 1"#))
    }

    @Test func asyncOnlyDecoratorFallsBack() async throws {
        let options = FunctionOptions(decorators: [Stamp()])
        let (application, function) = try build(options: options, config: Self.loggingConfig) { _, _ in .text("ok") }
        #expect(!function.runsInline)
        let context = application.makeContext(for: function, incomingRequestID: nil)
        let response = await function.invoke(Request(), context: context)
        #expect(response.status == 200)
        #expect(response.headers["X-Stamp"] == "1")
    }

    @Test func blockingFunctionDoesNotRunInline() throws {
        let (_, function) = try build(options: FunctionOptions(blocking: true)) { _, _ in .text("ok") }
        #expect(!function.runsInline)
    }
}
