import CUV
import Glibc
import TrellisCore
import TrellisHTTP
import TrellisRuntime
import TrellisTriggers

/// One libuv loop with its thread, listening socket and connections. A gateway runs
/// `server.eventLoops` of them side by side, each with its own `SO_REUSEPORT` socket on the same port.
///
/// Confinement: after `run()` starts, every member not marked otherwise is read and written on the loop
/// thread only; other threads reach the loop through `executor.runOnLoop`. Before that, `init` and
/// `listen` run on the thread that calls `Gateway.start()`, which hands the loop over by starting the
/// thread. What the loops share is thread-safe: `capacity` and `metrics` (atomics), the application,
/// the blocking pool and the decorators' state (a rate limit's `KeyedBuckets` is one mutex-protected
/// table for all loops, so a limit counts requests over every loop exactly).
///
/// Ownership: every handle's `data` (and `loop.data`) contains an unretained pointer to this object. The
/// thread's closure keeps the loop alive until `uv_run` returned, which happens only after every handle
/// was closed, so no callback can see a freed `EventLoop`.
final class EventLoop: @unchecked Sendable {
    /// Size of the read buffer shared by the loop's connections, in bytes. One buffer suffices because
    /// a read callback consumes its bytes (the parser copies them) before the next allocation.
    static let readBufferBytes = 64 * 1024
    /// The listen backlog: pending connections the kernel queues before `accept`. 511 is the common
    /// server default; Linux caps it at `net.core.somaxconn`.
    static let listenBacklog: Int32 = 511
    private static let continueResponse: StaticString = "HTTP/1.1 100 Continue\r\n\r\n"

    let loop: UnsafeMutablePointer<uv_loop_t>
    let executor: LoopExecutor
    let blockingPool: BlockingPoolExecutor
    let application: Application
    let limits: ServerLimits
    let parserLimits: HTTPParserLimits
    let router: Router
    let responder: BuiltinResponder
    let metrics: GatewayMetrics
    /// The gateway-wide connection and body budgets, shared with the other loops.
    let capacity: GatewayCapacity
    /// The loop's position in the gateway, from 0; it names the thread and labels per-loop metrics.
    let index: Int
    /// Connections this loop accepted, as `trellis_loop_connections_total{loop="<index>"}`.
    let acceptedConnections: Counter
    let logger: Logger
    let readBuffer: UnsafeMutableRawPointer
    /// Set once the loop thread finished and the loop is closed. Safe from any thread.
    let stopped = StopLatch()

    // Loop-confined.
    private(set) var draining = false
    private var stopping = false
    private var connections: [ObjectIdentifier: Connection] = [:]
    private var dateCache = HTTPDateCache()
    private var logLimiter = LogRateLimiter()
    private var listener: UnsafeMutablePointer<uv_tcp_t>?
    private var graceTimer: UnsafeMutablePointer<uv_timer_t>?
    private var signalHandles: [UnsafeMutablePointer<uv_signal_t>] = []

    init(
        index: Int, application: Application, limits: ServerLimits, capacity: GatewayCapacity,
        blockingPool: BlockingPoolExecutor, metrics: GatewayMetrics, ingress: (any EventIngress)? = nil
    ) throws(GatewayError) {
        loop = .allocate(capacity: 1)
        let status = uv_loop_init(loop)
        guard status == 0 else {
            loop.deallocate()
            throw GatewayError(code: "loop_failed", message: "Could not create the event loop: \(GatewayError.describe(status)).")
        }
        executor = LoopExecutor(loop: loop)
        self.blockingPool = blockingPool
        self.application = application
        self.limits = limits
        var parserLimits = HTTPParserLimits()
        parserLimits.requestLineBytes = limits.requestLineBytes
        parserLimits.headerBytes = limits.headerBytes
        parserLimits.headerCount = limits.headerCount
        parserLimits.bodyBytes = limits.bodyBytes
        self.parserLimits = parserLimits
        router = Router(application: application, ingress: ingress)
        responder = BuiltinResponder(application: application)
        self.metrics = metrics
        self.capacity = capacity
        self.index = index
        acceptedConnections = metrics.loopConnections(index)
        logger = application.logger
        readBuffer = .allocate(byteCount: Self.readBufferBytes, alignment: 16)
        loop.pointee.data = Unmanaged.passUnretained(self).toOpaque()
    }

    deinit {
        readBuffer.deallocate()
        loop.deallocate()
    }

    /// The maximum bytes a connection buffers before it stops reading: 64 KiB of pipelined input plus
    /// room for one complete request head.
    var maxBufferedBytes: Int { 64 * 1024 + limits.requestLineBytes + limits.headerBytes }

    /// The bytes of `HTTP/1.1 100 Continue` with its empty line.
    var continueBytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: Self.continueResponse.utf8Start, count: Self.continueResponse.utf8CodeUnitCount)
    }

    /// Returns the `Date` field value for the current second.
    func currentDate() -> [UInt8] { dateCache.value(at: time(nil)) }

    // MARK: Listening

    /// Takes over `descriptor`, a socket already bound and listening (see `ListeningSocketGroup`), and
    /// starts accepting on it once the loop runs. Closes the descriptor when it throws. Runs before the
    /// loop thread starts.
    func listen(socket descriptor: Int32) throws(GatewayError) {
        let handle = UnsafeMutablePointer<uv_tcp_t>.allocate(capacity: 1)
        uv_tcp_init(loop, handle)
        handle.pointee.data = Unmanaged.passUnretained(self).toOpaque()
        listener = handle
        let openStatus = uv_tcp_open(handle, descriptor)
        guard openStatus == 0 else {
            Glibc.close(descriptor)
            throw GatewayError(code: "listen_failed", message: "Could not hand the listening socket to libuv: \(GatewayError.describe(openStatus)).")
        }
        // The socket listens already; `uv_listen` calls listen(2) again, which only resets the backlog, and
        // starts watching the socket.
        let listenStatus = uv_listen(UnsafeMutablePointer<uv_stream_t>(OpaquePointer(handle)), Self.listenBacklog) { server, status in
            guard let data = server?.pointee.data else { return }
            Unmanaged<EventLoop>.fromOpaque(data).takeUnretainedValue().acceptConnection(status: status)
        }
        guard listenStatus == 0 else {
            throw GatewayError(code: "listen_failed", message: "Could not listen: \(GatewayError.describe(listenStatus)).")
        }
    }

    private func acceptConnection(status: Int32) {
        guard status == 0, let listener else {
            logError("accept failed", status: status)
            return
        }
        let connection = Connection(eventLoop: self)
        let acceptStatus = uv_accept(
            UnsafeMutablePointer<uv_stream_t>(OpaquePointer(listener)), connection.stream)
        guard acceptStatus == 0 else {
            logError("accept failed", status: acceptStatus)
            connection.close()
            return
        }
        metrics.connectionsTotal.increment()
        acceptedConnections.increment()
        guard !draining, capacity.admitConnection() else {
            metrics.connectionsRejected.increment()
            if !draining { logWarning("connection limit reached; closing new connections", ("maxConnections", .int(Int64(limits.maxConnections)))) }
            connection.close()
            return
        }
        connections[ObjectIdentifier(connection)] = connection
        metrics.openConnections.increment()
        connection.start()
    }

    /// Takes `count` bytes of the gateway-wide body budget (`ServerLimits.maxBufferedBodyBytes`, over
    /// all loops), or returns false when that would exceed it.
    func reserveBodyBytes(_ count: Int) -> Bool {
        guard capacity.reserveBodyBytes(count) else { return false }
        metrics.bufferedBodyBytes.increment(by: count)
        return true
    }

    func releaseBodyBytes(_ count: Int) {
        guard count > 0 else { return }
        capacity.releaseBodyBytes(count)
        metrics.bufferedBodyBytes.decrement(by: count)
    }

    /// Called by a connection when it starts closing.
    func connectionClosed(_ connection: Connection) {
        guard connections.removeValue(forKey: ObjectIdentifier(connection)) != nil else { return }
        capacity.connectionClosed()
        metrics.openConnections.decrement()
        if draining && connections.isEmpty { finishStop() }
    }

    // MARK: Running and stopping

    /// Runs the loop on the calling thread until `finishStop` closed every handle, then closes the loop
    /// and signals `stopped`.
    func run() {
        executor.attachToCurrentThread()
        uv_run(loop, UV_RUN_DEFAULT)
        let status = uv_loop_close(loop)
        if status != 0 {
            logger.error("event loop closed with handles still open", [("error", .string(GatewayError.describe(status)))])
        }
        stopped.signal()
    }

    /// Tears down a loop whose thread never started, after `listen` failed.
    func discardUnstarted() {
        executor.attachToCurrentThread()
        finishStop()
        uv_run(loop, UV_RUN_DEFAULT)
        uv_loop_close(loop)
    }

    /// Starts the graceful stop: closes the listener, closes idle connections, lets busy ones finish
    /// their current response with `Connection: close`, and force-closes what is left after `grace`.
    /// A second call changes nothing.
    func beginDrain(grace: Duration) {
        guard !draining, !stopping else { return }
        draining = true
        logger.info("gateway draining", [
            ("openConnections", .int(Int64(connections.count))), ("graceSeconds", .double(grace.seconds)),
        ])
        closeListener()
        for connection in Array(connections.values) { connection.closeIfIdle() }
        if connections.isEmpty {
            finishStop()
            return
        }
        let timer = UnsafeMutablePointer<uv_timer_t>.allocate(capacity: 1)
        uv_timer_init(loop, timer)
        timer.pointee.data = Unmanaged.passUnretained(self).toOpaque()
        graceTimer = timer
        uv_timer_start(timer, { timer in
            guard let data = timer?.pointee.data else { return }
            Unmanaged<EventLoop>.fromOpaque(data).takeUnretainedValue().graceExpired()
        }, Self.milliseconds(grace.seconds), 0)
    }

    private func graceExpired() {
        logger.warning("grace period over; closing connections still busy", [("openConnections", .int(Int64(connections.count)))])
        for connection in Array(connections.values) { connection.close() }
        finishStop()
    }

    /// Closes every loop-owned handle so that `uv_run` returns.
    private func finishStop() {
        guard !stopping else { return }
        stopping = true
        draining = true
        closeListener()
        for connection in Array(connections.values) { connection.close() }
        if let graceTimer {
            uv_close(UnsafeMutablePointer<uv_handle_t>(OpaquePointer(graceTimer))) { UnsafeMutableRawPointer($0)?.deallocate() }
            self.graceTimer = nil
        }
        for handle in signalHandles {
            uv_close(UnsafeMutablePointer<uv_handle_t>(OpaquePointer(handle))) { UnsafeMutableRawPointer($0)?.deallocate() }
        }
        signalHandles = []
        signalCallback = nil
        executor.close()
    }

    private func closeListener() {
        guard let listener else { return }
        uv_close(UnsafeMutablePointer<uv_handle_t>(OpaquePointer(listener))) { UnsafeMutableRawPointer($0)?.deallocate() }
        self.listener = nil
    }

    /// Calls `onSignal` with the signal number on this loop's thread when SIGTERM or SIGINT arrives.
    /// libuv delivers a signal to the handles of every loop, so each loop of a gateway installs its
    /// own; the handles stay until the loop stops, which keeps the signals caught while any loop drains.
    func installSignalHandlers(_ onSignal: @escaping @Sendable (Int32) -> Void) {
        guard !stopping else { return }
        signalCallback = onSignal
        for signal in [SIGTERM, SIGINT] {
            let handle = UnsafeMutablePointer<uv_signal_t>.allocate(capacity: 1)
            uv_signal_init(loop, handle)
            handle.pointee.data = Unmanaged.passUnretained(self).toOpaque()
            uv_signal_start(handle, { handle, number in
                guard let data = handle?.pointee.data else { return }
                Unmanaged<EventLoop>.fromOpaque(data).takeUnretainedValue().signalCallback?(number)
            }, signal)
            signalHandles.append(handle)
        }
    }

    private var signalCallback: (@Sendable (Int32) -> Void)?

    // MARK: Logging

    /// Logs a connection-level libuv error, at most once per 10 s per message and error name.
    func logError(_ message: String, status: Int32) {
        let name = String(cString: uv_err_name(status))
        guard let suppressed = logLimiter.admit("\(message) \(name)", now: uv_now(loop)) else { return }
        var fields: [(String, JSON)] = [("error", .string(GatewayError.describe(status)))]
        if suppressed > 0 { fields.append(("suppressed", .int(Int64(suppressed)))) }
        logger.error(message, fields)
    }

    func logWarning(_ message: String, _ field: (String, JSON)) {
        guard let suppressed = logLimiter.admit(message, now: uv_now(loop)) else { return }
        var fields = [field]
        if suppressed > 0 { fields.append(("suppressed", .int(Int64(suppressed)))) }
        logger.warning(message, fields)
    }

    /// Whole milliseconds for a timer, at least 1, rounded up so that a timeout never fires early.
    static func milliseconds(_ seconds: Double) -> UInt64 {
        guard seconds.isFinite, seconds > 0 else { return 1 }
        return max(1, UInt64((seconds * 1000).rounded(.up)))
    }
}
