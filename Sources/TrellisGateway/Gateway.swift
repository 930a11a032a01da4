import CUV
import Foundation
import Synchronization
import TrellisCore
import TrellisRuntime
import TrellisTriggers

/// The HTTP/1.1 server: `server.eventLoops` libuv loops, each on its own thread, serving
/// `/function/{name}` and the built-in endpoints (`/healthz`, `/functions`, `/metrics`).
///
/// Threading: `start()` opens one listening socket per loop, all on the same port with `SO_REUSEPORT`
/// (see `ListeningSocketGroup`), and hands each loop to a new thread named `trellis-loop-<index>`. The
/// kernel spreads new connections over the sockets; a connection stays on the loop that accepted it.
/// Handler tasks prefer their loop's `LoopExecutor`, so a handler that does not suspend elsewhere runs
/// on its loop thread. Functions declared `blocking` run on one pool of
/// `BlockingPoolExecutor.defaultThreadCount` threads shared by all loops. `maxConnections` and
/// `maxBufferedBodyBytes` hold for the whole gateway (`GatewayCapacity`); metrics go to the one shared
/// registry. Every method of `Gateway` may be called from any thread.
///
/// `start()` sets SIGPIPE to be ignored for the whole process, since libuv writes with `write(2)` and a
/// peer that closed would otherwise kill the process.
public final class Gateway: Sendable {
    public let application: Application
    private let host: String
    private let port: Int
    /// The number of loops `start()` runs.
    public let eventLoops: Int
    private let metrics: GatewayMetrics
    private let ingress: (any EventIngress)?
    /// Set by the first SIGTERM or SIGINT that `runUntilSignal` catches, so the stop starts once.
    private let signalled = Atomic<Bool>(false)

    private struct State {
        var loops: [EventLoop] = []
        var blockingPool: BlockingPoolExecutor?
        var started = false
    }

    private let state = Mutex(State())

    /// `host`, `port` and `eventLoops` override `config.server` when given. The host must be an IPv4 or
    /// IPv6 literal; `eventLoops` must be in `ServerSettings.eventLoopRange`, else `start()` throws.
    /// `ingress` serves event endpoints such as `/events/{trigger}`; the router consults it for targets
    /// that match neither a built-in endpoint nor `/function/`.
    public init(
        application: Application, host: String? = nil, port: Int? = nil, eventLoops: Int? = nil,
        ingress: (any EventIngress)? = nil
    ) {
        self.application = application
        self.ingress = ingress
        self.host = host ?? application.config.server.host
        self.port = port ?? application.config.server.port
        self.eventLoops = eventLoops ?? application.config.server.eventLoops
        self.metrics = GatewayMetrics(registry: application.metrics)
    }

    /// Binds, starts the loop threads and returns the bound port (the chosen one when `port` is 0).
    /// Throws `GatewayError` when the host is not an IP address, the port is taken, the loop count is
    /// out of range, or the gateway was started before.
    public func start() throws(GatewayError) -> Int {
        let alreadyStarted = state.withLock { state in
            defer { state.started = true }
            return state.started
        }
        guard !alreadyStarted else {
            throw GatewayError(code: "already_started", message: "The gateway was already started; create a new one.")
        }
        guard ServerSettings.eventLoopRange.contains(eventLoops) else {
            throw GatewayError(
                code: "invalid_event_loops",
                message: "The event loop count \(eventLoops) is out of range; use \(ServerSettings.eventLoopRange.lowerBound) to \(ServerSettings.eventLoopRange.upperBound).")
        }
        signal(SIGPIPE, SIG_IGN)

        let pool = BlockingPoolExecutor()
        let limits = application.config.server.limits
        let capacity = GatewayCapacity(limits: limits)
        var loops: [EventLoop] = []
        let boundPort: Int
        do throws(GatewayError) {
            var sockets = try ListeningSocketGroup.open(host: host, port: port, count: eventLoops, backlog: EventLoop.listenBacklog)
            boundPort = sockets.port
            do throws(GatewayError) {
                for index in 0..<eventLoops {
                    let loop = try EventLoop(
                        index: index, application: application, limits: limits, capacity: capacity, blockingPool: pool,
                        metrics: metrics, ingress: ingress)
                    loops.append(loop)
                    // `listen` owns the descriptor from here on, and closes it when it throws.
                    let descriptor = sockets.descriptors.removeFirst()
                    try loop.listen(socket: descriptor)
                }
            } catch {
                sockets.closeAll()
                throw error
            }
        } catch {
            // The caller reports the thrown error; `trellis serve` prints it once to standard error.
            for loop in loops { loop.discardUnstarted() }
            pool.shutdown()
            throw error
        }
        state.withLock { state in
            state.loops = loops
            state.blockingPool = pool
        }

        for loop in loops {
            let thread = Thread { loop.run() }
            thread.name = "trellis-loop-\(loop.index)"
            thread.start()
        }
        application.logger.info("gateway listening", [
            ("host", .string(host)), ("port", .int(Int64(boundPort))), ("eventLoops", .int(Int64(eventLoops))),
            ("functions", .int(Int64(application.functions.count + application.batchFunctions.count))),
            ("blockingThreads", .int(Int64(BlockingPoolExecutor.defaultThreadCount))),
        ])
        return boundPort
    }

    /// Stops gracefully: every loop closes its listening socket, makes `/healthz` return 503, closes
    /// idle connections and lets in-flight requests finish with `Connection: close` for up to `grace`
    /// (default: `config.server.shutdownGraceSeconds`), then closes the rest and stops. Returns once
    /// every loop thread finished. Returns at once when the gateway was never started; safe to call twice.
    public func shutdown(grace: Duration? = nil) async {
        guard let (loops, pool) = beginStop(grace: grace) else { return }
        for loop in loops { await loop.stopped.wait() }
        pool.shutdown()
        application.logger.info("gateway stopped")
    }

    /// Starts the gateway when it is not running yet, stops it gracefully on SIGTERM or SIGINT, and
    /// blocks until every loop thread finished. Returns the process exit code: 0 after a graceful stop,
    /// 1 when the gateway could not start.
    ///
    /// Every loop catches the signals (libuv delivers a signal to each loop that listens for it), and
    /// the first one caught starts the stop of all loops; later signals change nothing while the loops
    /// drain.
    ///
    /// `onReady` runs once the signal handlers are installed. Announce readiness there (print the URL),
    /// so a supervisor that sends SIGTERM right after reading it gets a graceful stop, not the default
    /// action of the signal.
    public func runUntilSignal(onReady: () -> Void = {}) -> Int32 {
        let running = state.withLock { !$0.loops.isEmpty }
        if !running {
            do {
                _ = try start()
            } catch {
                return 1
            }
        }
        let (loops, pool) = state.withLock { ($0.loops, $0.blockingPool) }
        guard let pool, !loops.isEmpty else { return 1 }
        let grace = Duration.seconds(application.config.server.shutdownGraceSeconds)
        let installed = DispatchSemaphore(value: 0)
        for loop in loops {
            loop.executor.runOnLoop {
                loop.installSignalHandlers { [self] number in
                    guard !signalled.exchange(true, ordering: .relaxed) else { return }
                    application.logger.info("signal received; stopping", [("signal", .int(Int64(number)))])
                    _ = beginStop(grace: grace)
                }
                installed.signal()
            }
        }
        for _ in loops { installed.wait() }
        onReady()
        for loop in loops { loop.stopped.waitBlocking() }
        pool.shutdown()
        application.logger.info("gateway stopped")
        return 0
    }

    /// Tells every loop to drain. Returns the loops and the pool, or nil when the gateway never started.
    private func beginStop(grace: Duration?) -> ([EventLoop], BlockingPoolExecutor)? {
        let (loops, pool) = state.withLock { ($0.loops, $0.blockingPool) }
        guard let pool, !loops.isEmpty else { return nil }
        let grace = grace ?? .seconds(application.config.server.shutdownGraceSeconds)
        for loop in loops {
            loop.executor.runOnLoop { loop.beginDrain(grace: grace) }
        }
        return (loops, pool)
    }
}
