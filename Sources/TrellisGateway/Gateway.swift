import CUV
import Foundation
import Synchronization
import TrellisCore
import TrellisRuntime
import TrellisTriggers

/// The HTTP/1.1 server: one libuv loop on its own thread serving `/function/{name}` and the built-in
/// endpoints (`/healthz`, `/functions`, `/metrics`).
///
/// Threading: `start()` binds on the calling thread, then hands the loop to a new thread named
/// `trellis-loop-0`. Handler tasks prefer that loop's `LoopExecutor`, so a handler that does not
/// suspend elsewhere runs on the loop thread. Functions declared `blocking` run on a pool of
/// `BlockingPoolExecutor.defaultThreadCount` threads. Every method of `Gateway` may be called from
/// any thread.
///
/// `start()` sets SIGPIPE to be ignored for the whole process, since libuv writes with `write(2)` and a
/// peer that closed would otherwise kill the process.
public final class Gateway: Sendable {
    public let application: Application
    private let host: String
    private let port: Int
    private let metrics: GatewayMetrics
    private let ingress: (any EventIngress)?

    private struct State {
        var loop: EventLoop?
        var blockingPool: BlockingPoolExecutor?
        var started = false
    }

    private let state = Mutex(State())

    /// `host` and `port` override `config.server` when given. The host must be an IPv4 or IPv6 literal.
    /// `ingress` serves event endpoints such as `/events/{trigger}`; the router consults it for targets
    /// that match neither a built-in endpoint nor `/function/`.
    public init(application: Application, host: String? = nil, port: Int? = nil, ingress: (any EventIngress)? = nil) {
        self.application = application
        self.ingress = ingress
        self.host = host ?? application.config.server.host
        self.port = port ?? application.config.server.port
        self.metrics = GatewayMetrics(registry: application.metrics)
    }

    /// Binds, starts the loop thread and returns the bound port (the chosen one when `port` is 0).
    /// Throws `GatewayError` when the host is not an IP address, the port is taken, or the gateway
    /// was started before.
    public func start() throws(GatewayError) -> Int {
        let alreadyStarted = state.withLock { state in
            defer { state.started = true }
            return state.started
        }
        guard !alreadyStarted else {
            throw GatewayError(code: "already_started", message: "The gateway was already started; create a new one.")
        }
        signal(SIGPIPE, SIG_IGN)

        let pool = BlockingPoolExecutor()
        let loop: EventLoop
        let boundPort: Int
        do throws(GatewayError) {
            loop = try EventLoop(
                application: application, limits: application.config.server.limits, blockingPool: pool, metrics: metrics,
                ingress: ingress)
            do throws(GatewayError) {
                boundPort = try loop.listen(host: host, port: port)
            } catch {
                loop.discardUnstarted()
                throw error
            }
        } catch {
            // The caller reports the thrown error; `trellis serve` prints it once to standard error.
            pool.shutdown()
            throw error
        }
        state.withLock { state in
            state.loop = loop
            state.blockingPool = pool
        }

        let thread = Thread { loop.run() }
        thread.name = "trellis-loop-0"
        thread.start()
        application.logger.info("gateway listening", [
            ("host", .string(host)), ("port", .int(Int64(boundPort))), ("functions", .int(Int64(application.functions.count + application.batchFunctions.count))),
            ("blockingThreads", .int(Int64(BlockingPoolExecutor.defaultThreadCount))),
        ])
        return boundPort
    }

    /// Stops gracefully: closes the listener, makes `/healthz` return 503, closes idle connections,
    /// lets in-flight requests finish with `Connection: close` for up to `grace` (default:
    /// `config.server.shutdownGraceSeconds`), then closes the rest, stops the loop and waits for its
    /// thread to finish. Returns at once when the gateway was never started; safe to call twice.
    public func shutdown(grace: Duration? = nil) async {
        guard let (loop, pool) = beginStop(grace: grace) else { return }
        await loop.stopped.wait()
        pool.shutdown()
        application.logger.info("gateway stopped")
    }

    /// Starts the gateway when it is not running yet, stops it gracefully on SIGTERM or SIGINT, and
    /// blocks until the loop thread finished. Returns the process exit code: 0 after a graceful stop,
    /// 1 when the gateway could not start.
    ///
    /// `onReady` runs once the signal handlers are installed. Announce readiness there (print the URL),
    /// so a supervisor that sends SIGTERM right after reading it gets a graceful stop, not the default
    /// action of the signal.
    public func runUntilSignal(onReady: () -> Void = {}) -> Int32 {
        let running = state.withLock { $0.loop }
        if running == nil {
            do {
                _ = try start()
            } catch {
                return 1
            }
        }
        guard let (loop, pool) = state.withLock({ state in state.loop.map { ($0, state.blockingPool!) } }) else { return 1 }
        let grace = Duration.seconds(application.config.server.shutdownGraceSeconds)
        let installed = DispatchSemaphore(value: 0)
        loop.executor.runOnLoop {
            loop.installSignalHandlers(grace: grace)
            installed.signal()
        }
        installed.wait()
        onReady()
        loop.stopped.waitBlocking()
        pool.shutdown()
        application.logger.info("gateway stopped")
        return 0
    }

    private func beginStop(grace: Duration?) -> (EventLoop, BlockingPoolExecutor)? {
        guard let (loop, pool) = state.withLock({ state in state.loop.map { ($0, state.blockingPool!) } }) else { return nil }
        let grace = grace ?? .seconds(application.config.server.shutdownGraceSeconds)
        loop.executor.runOnLoop { loop.beginDrain(grace: grace) }
        return (loop, pool)
    }
}
