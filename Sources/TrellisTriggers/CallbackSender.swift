import Foundation
import Glibc
import TrellisCore
import TrellisRuntime

/// A minimal HTTP/1.1 client that POSTs an async call's result to its `X-Callback-Url`.
///
/// The request carries the function's response body, its `Content-Type` (when it has one), `X-Call-Id`
/// and `X-Function-Status: <status>`, and `Connection: close`. Only the receiver's status line is read:
/// 2xx is success, anything else is `CallbackError.rejected`. Plain `http://` to IP literals and
/// `localhost` (connected as 127.0.0.1) only, so no DNS lookup and no TLS.
///
/// Each send runs on a thread of its own with blocking POSIX sockets, so it never holds an event loop or
/// a thread of Swift's cooperative pool. The connect timeout covers the whole handshake. The send and
/// receive timeouts (`SO_SNDTIMEO`, `SO_RCVTIMEO`) apply to each system call, so a receiver that trickles
/// bytes can stretch a send beyond them, up to `maxResponseHeadBytes` reads of one byte.
///
/// The worker is expected to retry a failed send a few times with backoff and then log and drop it,
/// because the result is kept nowhere else. Three attempts, 1 s then 2 s apart, are an untested estimate
/// of a reasonable start. A receiver should treat `X-Call-Id` as an
/// idempotency key, because a reply lost after the receiver acted leads to a retry.
public struct CallbackSender: Sendable {
    public var connectTimeout: Duration
    public var sendTimeout: Duration
    public var receiveTimeout: Duration

    /// The maximum bytes read while looking for the end of the receiver's status line.
    public static let maxResponseHeadBytes = 8 * 1024
    /// The default of every timeout: 5 s.
    public static let defaultTimeout: Duration = .seconds(5)

    public init(
        connectTimeout: Duration = defaultTimeout, sendTimeout: Duration = defaultTimeout,
        receiveTimeout: Duration = defaultTimeout
    ) {
        self.connectTimeout = connectTimeout
        self.sendTimeout = sendTimeout
        self.receiveTimeout = receiveTimeout
    }

    /// POSTs `response` for the call `callID` to `url` and returns the receiver's 2xx status.
    public func send(_ response: Response, callID: String, to url: CallbackURL) async throws(CallbackError) -> Int {
        let request = Self.encodeRequest(response, callID: callID, url: url)
        let result: Result<Int, CallbackError> = await withCheckedContinuation { continuation in
            let thread = Thread { continuation.resume(returning: Result { () throws(CallbackError) in try self.sendBlocking(request, to: url) }) }
            thread.name = "trellis-callback"
            thread.start()
        }
        return try result.get()
    }

    /// Encodes the request head and body. Field values that contain control characters are left out, so a
    /// function's `Content-Type` cannot inject fields.
    static func encodeRequest(_ response: Response, callID: String, url: CallbackURL) -> [UInt8] {
        var head = "POST \(url.target) HTTP/1.1\r\nHost: \(url.hostHeader)\r\n"
        if let contentType = response.headers["Content-Type"], isSafeFieldValue(contentType) {
            head += "Content-Type: \(contentType)\r\n"
        }
        if isSafeFieldValue(callID) { head += "X-Call-Id: \(callID)\r\n" }
        head += "X-Function-Status: \(response.status)\r\n"
        head += "Content-Length: \(response.body.count)\r\nConnection: close\r\n\r\n"
        return Array(head.utf8) + response.body
    }

    static func isSafeFieldValue(_ value: String) -> Bool {
        value.utf8.allSatisfy { $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }
    }

    private func sendBlocking(_ request: [UInt8], to url: CallbackURL) throws(CallbackError) -> Int {
        let name = url.description
        let fd = try connect(url)
        defer { Glibc.close(fd) }
        setTimeout(fd, option: SO_SNDTIMEO, sendTimeout)
        setTimeout(fd, option: SO_RCVTIMEO, receiveTimeout)

        var offset = 0
        while offset < request.count {
            let written = request[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written > 0 {
                offset += written
                continue
            }
            let code = errno
            if code == EINTR { continue }
            if code == EAGAIN || code == EWOULDBLOCK { throw .timedOut(url: name, during: "sending the request") }
            throw .connectionFailed(url: name, reason: "send: \(Self.describe(code))")
        }

        var head: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1024)
        while !head.contains(UInt8(ascii: "\n")) {
            guard head.count < Self.maxResponseHeadBytes else { throw .invalidResponse(url: name) }
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                head.append(contentsOf: chunk[..<count])
                continue
            }
            if count == 0 { throw .connectionFailed(url: name, reason: "the receiver closed the connection before replying") }
            let code = errno
            if code == EINTR { continue }
            if code == EAGAIN || code == EWOULDBLOCK { throw .timedOut(url: name, during: "waiting for the reply") }
            throw .connectionFailed(url: name, reason: "recv: \(Self.describe(code))")
        }
        guard let status = Self.parseStatus(head) else { throw .invalidResponse(url: name) }
        guard (200...299).contains(status) else { throw .rejected(url: name, status: status) }
        return status
    }

    /// Parses the status code of a status line such as `HTTP/1.1 204 No Content`, or nil.
    static func parseStatus(_ bytes: [UInt8]) -> Int? {
        let line = String(decoding: bytes.prefix { $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\n") }, as: UTF8.self)
        let parts = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0] == "HTTP/1.1" || parts[0] == "HTTP/1.0", parts[1].utf8.count == 3,
            let status = Int(parts[1]), (100...599).contains(status)
        else { return nil }
        return status
    }

    /// Opens a connected TCP socket, waiting at most `connectTimeout` for the handshake.
    private func connect(_ url: CallbackURL) throws(CallbackError) -> Int32 {
        let name = url.description
        var storage = sockaddr_storage()
        let length: socklen_t
        let family: Int32
        let host = url.host == "localhost" ? "127.0.0.1" : url.host
        if host.contains(":") {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = in_port_t(UInt16(url.port).bigEndian)
            guard inet_pton(AF_INET6, host, &address.sin6_addr) == 1 else { throw .connectFailed(url: name, reason: "invalid address") }
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: address, as: sockaddr_in6.self) }
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
            family = AF_INET6
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(url.port).bigEndian)
            guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { throw .connectFailed(url: name, reason: "invalid address") }
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: address, as: sockaddr_in.self) }
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
            family = AF_INET
        }

        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw .connectFailed(url: name, reason: "socket: \(Self.describe(errno))") }
        let status = withUnsafePointer(to: &storage) {
            Glibc.connect(fd, UnsafeRawPointer($0).assumingMemoryBound(to: sockaddr.self), length)
        }
        if status != 0 {
            let code = errno
            guard code == EINPROGRESS else {
                Glibc.close(fd)
                throw .connectFailed(url: name, reason: Self.describe(code))
            }
            var pollfd = Glibc.pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            let ready = poll(&pollfd, 1, Self.milliseconds(connectTimeout))
            guard ready > 0 else {
                Glibc.close(fd)
                throw .timedOut(url: name, during: "connecting")
            }
            var socketError: Int32 = 0
            var errorLength = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &socketError, &errorLength)
            guard socketError == 0 else {
                Glibc.close(fd)
                throw .connectFailed(url: name, reason: Self.describe(socketError))
            }
        }
        // Back to blocking mode: the send and receive timeouts bound each call from here on.
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK)
        return fd
    }

    private func setTimeout(_ fd: Int32, option: Int32, _ duration: Duration) {
        let milliseconds = Self.milliseconds(duration)
        var value = timeval(tv_sec: Int(milliseconds / 1000), tv_usec: Int(milliseconds % 1000) * 1000)
        setsockopt(fd, SOL_SOCKET, option, &value, socklen_t(MemoryLayout<timeval>.size))
    }

    /// `duration` in whole milliseconds, at least 1 so that a tiny timeout never means "wait forever".
    static func milliseconds(_ duration: Duration) -> Int32 {
        Int32(clamping: max(1, Int64((duration.seconds * 1000).rounded(.up))))
    }

    static func describe(_ code: Int32) -> String { String(cString: strerror(code)) }
}
