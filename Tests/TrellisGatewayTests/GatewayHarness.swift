import Foundation
import Synchronization
import TrellisTestSupport
import TrellisCore
import TrellisGateway
import TrellisRuntime
import TrellisTriggers

/// A real gateway on 127.0.0.1, port 0, serving the test functions below.
struct GatewayHarness {
    let gateway: Gateway
    let port: Int
    let application: Application
    let logs: MemoryLogSink
    /// Holds `held` invocations until the test opens it.
    let gate: Gate

    /// A latch a test opens to let `held` invocations finish.
    final class Gate: Sendable {
        private let isOpen = Atomic<Bool>(false)
        private let arrivals = Atomic<Int>(0)
        func open() { isOpen.store(true, ordering: .relaxed) }

        /// Calls of `wait()` so far, so a test can tell when its requests are all in flight.
        var waiters: Int { arrivals.load(ordering: .relaxed) }

        /// Waits until the gate opens, for at most 10 s.
        func wait() async throws {
            arrivals.add(1, ordering: .relaxed)
            let end = ContinuousClock.now + .seconds(10)
            while !isOpen.load(ordering: .relaxed) && ContinuousClock.now < end {
                try await Task.sleep(for: .milliseconds(5))
            }
        }

        /// Blocks the calling thread until the gate opens, for at most 10 s.
        func waitBlocking() {
            let end = ContinuousClock.now + .seconds(10)
            while !isOpen.load(ordering: .relaxed) && ContinuousClock.now < end { usleep(5_000) }
        }
    }

    /// Test functions:
    /// - `hello` (GET, POST): 200 `hello`.
    /// - `echo` (POST): the body back, with `X-Path` and `X-Query` set from the request.
    /// - `sleepy`: sleeps 5 s (cancellable) under a 0.2 s timeout.
    /// - `blocker` (blocking): blocks its thread until the test opens `gate` (at most 10 s).
    /// - `gated` (max concurrency 1): waits until the test opens `gate` (at most 10 s).
    /// - `slow`: sleeps 0.3 s.
    /// - `hang`: sleeps 10 s (cancellable) under a 20 s timeout.
    /// - `held`: waits until the test opens `gate` (at most 10 s), then 200 `held`.
    /// `ingress` is handed to the gateway as its event ingress. `eventLoops` nil keeps the config default
    /// (one loop per CPU); `host` is the address to listen on.
    static func start(
        eventLoops: Int? = nil, host: String = "127.0.0.1", ingress: (any EventIngress)? = nil,
        _ configure: (inout ServerLimits) -> Void = { _ in }
    ) throws -> GatewayHarness {
        let registry = FunctionRegistry()
        registry.register("hello") { _, _ in Response.text("hello") }
        registry.register("echo", options: FunctionOptions(methods: ["POST"])) { request, _ in
            var response = Response(status: 200, body: request.body)
            response.headers.add("X-Path", request.path)
            response.headers.add("X-Query", request.query)
            return response
        }
        registry.register("sleepy", options: FunctionOptions(timeout: .milliseconds(200))) { _, _ in
            try await Task.sleep(for: .seconds(5))
            return Response.text("late")
        }
        let gate = Gate()
        registry.register("blocker", options: FunctionOptions(blocking: true)) { _, _ in
            gate.waitBlocking()
            return Response.text("unblocked")
        }
        registry.register("gated", options: FunctionOptions(maxConcurrency: 1)) { _, _ in
            try await gate.wait()
            return Response.text("gated")
        }
        registry.register("slow") { _, _ in
            try await Task.sleep(for: .milliseconds(300))
            return Response.text("slow")
        }

        registry.register("hang", options: FunctionOptions(timeout: .seconds(20))) { _, _ in
            try await Task.sleep(for: .seconds(10))
            return Response.text("hang")
        }

        registry.register("held") { _, _ in
            try await gate.wait()
            return Response.text("held")
        }

        var config = RuntimeConfig()
        config.server.host = host
        config.server.port = 0
        config.server.shutdownGraceSeconds = 2
        configure(&config.server.limits)
        let logs = MemoryLogSink()
        let application = try Application.build(registry: registry, config: config, logSink: logs)
        let gateway = Gateway(application: application, eventLoops: eventLoops, ingress: ingress)
        let port = try gateway.start()
        return GatewayHarness(gateway: gateway, port: port, application: application, logs: logs, gate: gate)
    }

    func connect(timeoutSeconds: Double = 5) throws -> TestClient {
        try TestClient(port: port, timeoutSeconds: timeoutSeconds)
    }

    func stop() async {
        await gateway.shutdown(grace: .seconds(2))
    }

    /// Returns the value of the metric `series` (name and labels as rendered), or nil when absent.
    func metric(_ series: String) -> Int? {
        for line in application.metrics.render().split(separator: "\n") where line.hasPrefix(series + " ") {
            return Int(line.dropFirst(series.count + 1))
        }
        return nil
    }

    /// Polls `condition` every 10 ms for at most `seconds`; returns whether it became true.
    func waitUntil(seconds: Double = 3, _ condition: () -> Bool) async -> Bool {
        await TrellisTestSupport.waitUntil(seconds: seconds, condition)
    }
}
