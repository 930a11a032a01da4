import CUV
import Glibc
import TrellisCore
import TrellisHTTP
import TrellisRuntime
import TrellisTriggers

/// One client connection: its TCP handle, its timer, its parser and the request in progress.
///
/// Confinement: every member is used on the loop thread only. The invocation task captures the
/// connection but touches it only inside `executor.runOnLoop`, which is why the type may be `Sendable`.
///
/// Requests are served one at a time. Bytes that arrive while a request is invoked or its response is
/// written stay buffered in the parser (pipelining). They are parsed once that response was written,
/// so responses leave in request order. Reading stops while more than
/// `EventLoop.maxBufferedBytes` are buffered and resumes once the buffer drains.
///
/// One timer covers every state: the idle keep-alive timeout, the header and body read timeouts, the
/// function's deadline, the write timeout (the idle timeout again, so a client that does not read
/// cannot hold the connection) and the lingering close.
///
/// Ownership (`Unmanaged`): `init` takes one retain for the handle pair and stores it in the TCP and
/// timer handles' `data`; `handleClosed` releases it after both close callbacks ran. The write and
/// shutdown requests hold unretained pointers: libuv calls their callbacks (with `UV_ECANCELED` when
/// closing) before the TCP handle's close callback, while the retain is still held.
final class Connection: @unchecked Sendable {
    enum State {
        /// Between requests, waiting for the first byte; the idle timeout runs.
        case idle
        /// The first byte of a head arrived; the header timeout runs.
        case readingHead
        /// The head is complete; the body timeout runs.
        case readingBody
        /// The function runs; its deadline runs.
        case invoking
        /// The response is being written.
        case writing
        /// The write side is shut down after the last response. Input is read and dropped until EOF or
        /// `lingerMilliseconds`, so that the client reads the response instead of a reset.
        case lingering
        case closed
    }

    /// How long a closing connection keeps draining input after its last response. 2 s.
    static let lingerMilliseconds: UInt64 = 2_000

    unowned let eventLoop: EventLoop
    private let tcp: UnsafeMutablePointer<uv_tcp_t>
    private let timer: UnsafeMutablePointer<uv_timer_t>
    private let writeRequest: UnsafeMutablePointer<uv_write_t>
    private let continueRequest: UnsafeMutablePointer<uv_write_t>
    private let shutdownRequest: UnsafeMutablePointer<uv_shutdown_t>

    private(set) var state = State.idle
    private var parser: HTTPRequestParser
    private var limits: ServerLimits { eventLoop.limits }
    private var clientAddress = ""
    private var requestsServed = 0
    private var isReading = false
    private var readPaused = false
    /// True after a rejected request: the parser is finished, so input is dropped.
    private var discardInput = false
    /// True once the client shut down its sending side while pipelined requests were still buffered.
    /// Those requests get their responses, then the connection closes (RFC 9112, section 9.6).
    private var peerFinished = false
    /// Bytes of the loop's body budget this connection holds for the current request.
    private var reservedBodyBytes = 0
    private var pendingCloses = 0

    // The request in progress.
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var requestID = ""
    private var requestKeepAlive = true
    private var requestIsHead = false
    private var task: Task<Void, Never>?
    private var context: Context?
    /// Incremented for each invocation and whenever one is abandoned, so a late result is discarded.
    private var invocationSerial: UInt64 = 0

    // The response being written; both must stay unchanged until the write callback.
    private var headBuffer = OutputBuffer(capacity: 512)
    private var pendingBody: [UInt8] = []
    private var closeAfterWrite = false

    init(eventLoop: EventLoop) {
        self.eventLoop = eventLoop
        tcp = .allocate(capacity: 1)
        timer = .allocate(capacity: 1)
        writeRequest = .allocate(capacity: 1)
        continueRequest = .allocate(capacity: 1)
        shutdownRequest = .allocate(capacity: 1)
        parser = HTTPRequestParser(limits: eventLoop.parserLimits)
        uv_tcp_init(eventLoop.loop, tcp)
        uv_timer_init(eventLoop.loop, timer)
        // Retain taken: +1 for the handle pair, released in `handleClosed` after both handles closed.
        let retained = Unmanaged.passRetained(self).toOpaque()
        tcp.pointee.data = retained
        timer.pointee.data = retained
        let unretained = Unmanaged.passUnretained(self).toOpaque()
        writeRequest.pointee.data = unretained
        continueRequest.pointee.data = unretained
        shutdownRequest.pointee.data = unretained
    }

    deinit {
        tcp.deallocate()
        timer.deallocate()
        writeRequest.deallocate()
        continueRequest.deallocate()
        shutdownRequest.deallocate()
    }

    var stream: UnsafeMutablePointer<uv_stream_t> { UnsafeMutablePointer(OpaquePointer(tcp)) }

    /// Starts serving an accepted connection.
    func start() {
        uv_tcp_nodelay(tcp, 1)
        clientAddress = peerAddress() ?? "unknown"
        armTimer(EventLoop.milliseconds(limits.idleTimeoutSeconds))
        startReading()
    }

    /// Closes the connection now if it waits between requests; called when draining starts.
    func closeIfIdle() {
        if state == .idle { close() }
    }

    /// Stops reading, cancels the invocation and closes both handles. Nothing is written afterwards.
    func close() {
        guard state != .closed else { return }
        state = .closed
        releaseBody()
        task?.cancel()
        task = nil
        context = nil
        invocationSerial &+= 1
        uv_read_stop(stream)
        uv_timer_stop(timer)
        pendingCloses = 2
        uv_close(UnsafeMutablePointer<uv_handle_t>(OpaquePointer(tcp))) { Connection.handleClosed($0) }
        uv_close(UnsafeMutablePointer<uv_handle_t>(OpaquePointer(timer))) { Connection.handleClosed($0) }
        eventLoop.connectionClosed(self)
    }

    private static func handleClosed(_ handle: UnsafeMutablePointer<uv_handle_t>?) {
        guard let data = handle?.pointee.data else { return }
        let unmanaged = Unmanaged<Connection>.fromOpaque(data)
        let connection = unmanaged.takeUnretainedValue()
        connection.pendingCloses -= 1
        guard connection.pendingCloses == 0 else { return }
        // Retain released: the one `init` took for the handle pair.
        unmanaged.release()
    }

    // MARK: Reading

    private func startReading() {
        isReading = true
        readPaused = false
        uv_read_start(stream, { handle, _, buffer in
            guard let handle, let buffer, let loopData = handle.pointee.loop.pointee.data else { return }
            let eventLoop = Unmanaged<EventLoop>.fromOpaque(loopData).takeUnretainedValue()
            buffer.pointee = uv_buf_init(
                eventLoop.readBuffer.assumingMemoryBound(to: CChar.self), UInt32(EventLoop.readBufferBytes))
        }, { stream, count, _ in
            guard let data = stream?.pointee.data else { return }
            Unmanaged<Connection>.fromOpaque(data).takeUnretainedValue().didRead(count: count)
        })
    }

    private func didRead(count: Int) {
        guard state != .closed else { return }
        if count > 0 {
            if discardInput || state == .lingering { return }
            parser.append(UnsafeRawBufferPointer(start: eventLoop.readBuffer, count: count))
            if state == .idle {
                state = .readingHead
                armTimer(EventLoop.milliseconds(limits.headerTimeoutSeconds))
            }
            advance()
            return
        }
        if count == 0 { return }
        let status = Int32(count)
        if status == UV_EOF.rawValue && parser.bufferedByteCount > 0 && !discardInput && state != .lingering {
            // A half-close after pipelining: respond to the requests already received, then close.
            peerFinished = true
            isReading = false
            uv_read_stop(stream)
            switch state {
            case .idle, .readingHead, .readingBody: advance()
            case .invoking, .writing, .lingering, .closed: break
            }
            return
        }
        // EOF with nothing buffered, or a read error. Like Go's net/http, an EOF during an invocation
        // means the client went away, so `close()` cancels the invocation.
        if status != UV_EOF.rawValue && status != UV_ECONNRESET.rawValue {
            eventLoop.logError("read failed", status: status)
        }
        close()
    }

    /// Parses buffered input while the connection is free to start or continue a request.
    private func advance() {
        while true {
            switch state {
            case .idle, .readingHead, .readingBody:
                break
            case .invoking, .writing, .lingering, .closed:
                updateReadPause()
                return
            }
            let event: HTTPParserEvent?
            do {
                event = try parser.next()
            } catch {
                reject(error)
                return
            }
            guard let event else {
                if peerFinished {
                    // The client sent all it will send, and what is buffered is not a whole request.
                    close()
                    return
                }
                if state == .idle && (parser.isInsideRequest || parser.bufferedByteCount > 0) {
                    state = .readingHead
                    armTimer(EventLoop.milliseconds(limits.headerTimeoutSeconds))
                }
                updateReadPause()
                return
            }
            switch event {
            case .head(let head):
                receivedHead(head)
            case .body(let chunk):
                if case .chunked = head?.framing {
                    guard reserveBody(chunk.count) else { return }
                }
                body.append(contentsOf: chunk)
            case .end:
                dispatch()
            }
        }
    }

    private func receivedHead(_ head: HTTPRequestHead) {
        self.head = head
        body = []
        state = .readingBody
        if case .contentLength(let length) = head.framing, length > 0 {
            guard reserveBody(length) else { return }
        }
        armTimer(EventLoop.milliseconds(limits.bodyTimeoutSeconds))
        // RFC 9110 section 10.1.1: send 100 only when a body is still to come. A head the parser
        // rejected (413 for a declared length over the limit) never reaches here, so it gets no 100.
        let bodyExpected: Bool
        switch head.framing {
        case .none, .contentLength(0): bodyExpected = false
        case .contentLength, .chunked: bodyExpected = true
        }
        // RFC 9110 section 10.1.1: an expectation in an HTTP/1.0 request is ignored, and section 15.2
        // forbids sending a 1xx response to an HTTP/1.0 client.
        guard head.expectsContinue && bodyExpected && head.versionMinor >= 1 else { return }
        // RFC 9110 section 10.1.1 lets a server send a final status instead of 100. A request that
        // cannot be routed gets its 404 or 405 now, and the connection closes since its body is not read.
        if case .rejected(let error) = eventLoop.router.route(method: head.method, target: head.target) {
            rejectBeforeBody(error)
            return
        }
        if parser.bufferedByteCount == 0 { writeContinue() }
    }

    /// Takes `count` bytes of the gateway's body budget for the current request. When the gateway is at its
    /// maximum, responds 503 with `Retry-After: 1`, closes the connection and returns false.
    private func reserveBody(_ count: Int) -> Bool {
        if eventLoop.reserveBodyBytes(count) {
            reservedBodyBytes += count
            return true
        }
        eventLoop.metrics.recordHTTPError(status: 503)
        var headers = Headers()
        headers.add("Retry-After", "1")
        let error = HTTPError(
            503, code: "server_busy",
            message: "The server is at its maximum of \(limits.maxBufferedBodyBytes) bytes of buffered request bodies; retry shortly.",
            headers: headers)
        rejectBeforeBody(error)
        return false
    }

    private func releaseBody() {
        eventLoop.releaseBodyBytes(reservedBodyBytes)
        reservedBodyBytes = 0
    }

    /// Responds with a routing error before the body was read, then closes the connection.
    private func rejectBeforeBody(_ error: HTTPError) {
        let incomingID = head?.requestIDField
        requestID = RequestID.resolve(incoming: incomingID)
        discardInput = true
        requestIsHead = false
        write(error.response(requestID: requestID), keepAlive: false)
    }

    private func updateReadPause() {
        guard isReading, !peerFinished else { return }
        let buffered = parser.bufferedByteCount
        if !readPaused && buffered > eventLoop.maxBufferedBytes {
            readPaused = true
            uv_read_stop(stream)
        } else if readPaused && buffered <= eventLoop.maxBufferedBytes {
            startReading()
        }
    }

    private func peerAddress() -> String? {
        var storage = sockaddr_storage()
        var length = Int32(MemoryLayout<sockaddr_storage>.size)
        let status = withUnsafeMutablePointer(to: &storage) {
            uv_tcp_getpeername(tcp, UnsafeMutableRawPointer($0).assumingMemoryBound(to: sockaddr.self), &length)
        }
        guard status == 0 else { return nil }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        let family = Int32(storage.ss_family)
        let nameStatus = withUnsafePointer(to: &storage) { pointer -> Int32 in
            let raw = UnsafeRawPointer(pointer)
            if family == AF_INET6 {
                return uv_ip6_name(raw.assumingMemoryBound(to: sockaddr_in6.self), &text, text.count)
            }
            return uv_ip4_name(raw.assumingMemoryBound(to: sockaddr_in.self), &text, text.count)
        }
        guard nameStatus == 0 else { return nil }
        return text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    // MARK: Dispatching

    private func dispatch() {
        guard let head else { return }
        self.head = nil
        let body = self.body
        self.body = []
        requestsServed += 1
        requestKeepAlive = head.keepAlive
        requestIsHead = head.method == "HEAD"
        let incomingID = head.requestIDField

        switch eventLoop.router.route(method: head.method, target: head.target) {
        case .builtin(let endpoint):
            eventLoop.metrics.recordBuiltinRequest(endpoint)
            requestID = RequestID.resolve(incoming: incomingID)
            respond(eventLoop.responder.response(for: endpoint, draining: eventLoop.draining))
        case .rejected(let error):
            requestID = RequestID.resolve(incoming: incomingID)
            respond(error.response(requestID: requestID))
        case .function(let function, let path, let query):
            let context = eventLoop.application.makeContext(for: function, incomingRequestID: incomingID)
            let request = Request(
                method: head.method, path: path, query: query,
                headers: Headers(fields: head.headers), body: body, clientAddress: clientAddress)
            if function.runsInline {
                // No task and no deadline timer: the chain returns before anything else runs on this loop.
                requestID = context.requestID
                respond(function.invokeInline(request, context: context))
                return
            }
            let executor: any TaskExecutor = function.blocking ? eventLoop.blockingPool : eventLoop.executor
            invoke(request: request, context: context, executor: executor) { request, context in
                await function.invoke(request, context: context)
            }
        case .ingress(let route, let path, let query):
            let context = Context(
                requestID: RequestID.resolve(incoming: incomingID), functionName: route.name,
                deadline: .now + route.timeout, logger: eventLoop.application.logger)
            let request = Request(
                method: head.method, path: path, query: query,
                headers: Headers(fields: head.headers), body: body, clientAddress: clientAddress)
            invoke(request: request, context: context, executor: eventLoop.executor) { request, context in
                await Self.runIngress(route, request: request, context: context)
            }
        }
    }

    /// Runs an ingress handler and turns a thrown error into its response, as `ResolvedFunction.invoke`
    /// does for a function.
    nonisolated(nonsending) private static func runIngress(
        _ route: IngressRoute, request: Request, context: Context
    ) async -> Response {
        do {
            return try await route.handler(request, context)
        } catch {
            if !(error is HTTPError) && !context.isTimedOut {
                context.logger.error("ingress handler failed", [("error", .string(String(describing: error)))])
            }
            return ErrorMapping.response(for: error, context: context)
        }
    }

    /// Starts the invocation task and the deadline timer. The task prefers `executor`: the loop executor,
    /// so that an invocation that does not suspend elsewhere runs on the loop thread from start to
    /// response, or the blocking pool for a `blocking` function.
    private func invoke(
        request: Request, context: Context, executor: any TaskExecutor,
        run: nonisolated(nonsending) @escaping @Sendable (Request, Context) async -> Response
    ) {
        state = .invoking
        requestID = context.requestID
        self.context = context
        invocationSerial &+= 1
        let serial = invocationSerial
        let remaining = (context.deadline - .now).seconds
        armTimer(EventLoop.milliseconds(remaining))

        let loopExecutor = eventLoop.executor
        task = Task(executorPreference: executor) { [self] in
            let response = await run(request, context)
            // Inline when the task is on the loop thread; otherwise this hops back before touching libuv.
            loopExecutor.runOnLoop { self.invocationFinished(serial: serial, response: response) }
        }
    }

    private func invocationFinished(serial: UInt64, response: Response) {
        guard state == .invoking, serial == invocationSerial else { return }
        task = nil
        context = nil
        respond(response)
    }

    /// Handles the one timer for whatever state the connection is in.
    fileprivate func timerFired() {
        switch state {
        case .idle, .writing, .lingering:
            close()
        case .readingHead:
            rejectAfterTimeout(
                code: "header_timeout",
                message: "The request head was not received within \(limits.headerTimeoutSeconds) s of its first byte.")
        case .readingBody:
            rejectAfterTimeout(
                code: "body_timeout",
                message: "The request body was not received within \(limits.bodyTimeoutSeconds) s of the head.")
        case .invoking:
            guard let context else { return }
            context.markTimedOut()
            task?.cancel()
            task = nil
            self.context = nil
            invocationSerial &+= 1
            respond(ErrorMapping.response(for: CancellationError(), context: context))
        case .closed:
            break
        }
    }

    // MARK: Writing

    /// Writes the error response for a request the parser rejected. The parser is finished, so the connection closes after
    /// the response.
    private func reject(_ error: HTTPParseError) {
        eventLoop.metrics.recordHTTPError(status: error.status)
        let incomingID = head?.requestIDField
        requestID = RequestID.resolve(incoming: incomingID)
        discardInput = true
        requestIsHead = false
        let response = HTTPError(error.status, code: error.code, message: error.message).response(requestID: requestID)
        write(response, keepAlive: false)
    }

    private func rejectAfterTimeout(code: String, message: String) {
        eventLoop.metrics.recordHTTPError(status: 408)
        let incomingID = head?.requestIDField
        requestID = RequestID.resolve(incoming: incomingID)
        discardInput = true
        requestIsHead = false
        write(HTTPError(408, code: code, message: message).response(requestID: requestID), keepAlive: false)
    }

    /// Writes the response to the current request. The connection stays open unless the client asked
    /// to close, the gateway is draining, or this was the last request allowed on the connection.
    private func respond(_ response: Response) {
        let keepAlive = requestKeepAlive && !discardInput && !eventLoop.draining
            && requestsServed < limits.requestsPerConnection && !(peerFinished && parser.bufferedByteCount == 0)
        write(response, keepAlive: keepAlive)
    }

    /// Queues the head and the body as one `uv_write` of two buffers.
    private func write(_ response: Response, keepAlive: Bool) {
        releaseBody()
        closeAfterWrite = !keepAlive
        ResponseHeadEncoder.encode(
            status: response.status, headers: response.headers, contentLength: response.body.count,
            requestID: requestID, keepAlive: keepAlive, date: eventLoop.currentDate(), into: &headBuffer)
        let sendsBody = !requestIsHead && !ResponseHeadEncoder.statusForbidsBody(response.status)
        pendingBody = sendsBody ? response.body : []
        state = .writing
        armTimer(EventLoop.milliseconds(limits.idleTimeoutSeconds))

        // NOTE: the body pointer escapes `withUnsafeBufferPointer`. It stays valid because `pendingBody`
        // keeps the array's storage, unmodified, until `didWrite` clears it.
        let bodyBase = pendingBody.withUnsafeBufferPointer { UnsafeMutableRawPointer(mutating: $0.baseAddress) }
        // A tuple on the stack, not an array: `uv_write` copies the descriptors before it returns (libuv src/unix/stream.c).
        var buffers = (
            uv_buf_init(UnsafeMutableRawPointer(headBuffer.base).assumingMemoryBound(to: CChar.self), UInt32(headBuffer.count)),
            uv_buf_init(bodyBase?.assumingMemoryBound(to: CChar.self), UInt32(pendingBody.count))
        )
        let bufferCount: UInt32 = pendingBody.isEmpty ? 1 : 2
        let status = withUnsafeMutableBytes(of: &buffers) { raw in
            uv_write(writeRequest, stream, raw.baseAddress!.assumingMemoryBound(to: uv_buf_t.self), bufferCount) { request, status in
                guard let data = request?.pointee.data else { return }
                Unmanaged<Connection>.fromOpaque(data).takeUnretainedValue().didWrite(status: status)
            }
        }
        if status != 0 {
            eventLoop.logError("write failed", status: status)
            close()
        }
    }

    private func didWrite(status: Int32) {
        pendingBody = []
        guard state == .writing else { return }
        guard status == 0 else {
            if status != UV_ECANCELED.rawValue && status != UV_EPIPE.rawValue && status != UV_ECONNRESET.rawValue {
                eventLoop.logError("write failed", status: status)
            }
            close()
            return
        }
        if closeAfterWrite {
            beginLingeringClose()
            return
        }
        if parser.isInsideRequest || parser.bufferedByteCount > 0 {
            state = .readingHead
            armTimer(EventLoop.milliseconds(limits.headerTimeoutSeconds))
        } else if eventLoop.draining {
            close()
            return
        } else {
            state = .idle
            armTimer(EventLoop.milliseconds(limits.idleTimeoutSeconds))
        }
        advance()
    }

    private func writeContinue() {
        let bytes = eventLoop.continueBytes
        var buffer = uv_buf_init(
            UnsafeMutableRawPointer(mutating: bytes.baseAddress)?.assumingMemoryBound(to: CChar.self), UInt32(bytes.count))
        // The bytes are a static constant, so they outlive the write. A failure shows up on the next read or write.
        let status = uv_write(continueRequest, stream, &buffer, 1) { _, _ in }
        if status != 0 { close() }
    }

    /// Shuts down the write side after the last response and drops input until EOF or the linger time.
    private func beginLingeringClose() {
        state = .lingering
        discardInput = true
        armTimer(Self.lingerMilliseconds)
        if !isReading || readPaused { startReading() }
        let status = uv_shutdown(shutdownRequest, stream) { request, status in
            guard status != 0, let data = request?.pointee.data else { return }
            Unmanaged<Connection>.fromOpaque(data).takeUnretainedValue().close()
        }
        if status != 0 { close() }
    }

    private func armTimer(_ milliseconds: UInt64) {
        uv_timer_start(timer, { timer in
            guard let data = timer?.pointee.data else { return }
            Unmanaged<Connection>.fromOpaque(data).takeUnretainedValue().timerFired()
        }, milliseconds, 0)
    }
}
