import Foundation
import Glibc

/// A response as the test client read it.
public struct TestResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    public var text: String { String(decoding: body, as: UTF8.self) }
}

public enum TestClientError: Error, CustomStringConvertible {
    case timedOut(String)
    case closed(String)
    case system(String)

    public var description: String {
        switch self {
        case .timedOut(let what): return "timed out: \(what)"
        case .closed(let what): return "connection closed: \(what)"
        case .system(let what): return what
        }
    }
}

/// A small blocking TCP client for 127.0.0.1. Every receive and send waits at most `timeoutSeconds`.
/// Receives run on a thread of their own (`readResponse`, `readsEOF` are async), so that a test waiting
/// for bytes never blocks a thread of Swift's cooperative pool, which other tests and the gateway's
/// shutdown need. One test uses a client at a time.
public final class TestClient: @unchecked Sendable {
    public let fd: Int32
    private var buffer: [UInt8] = []

    public init(port: Int, timeoutSeconds: Double = 5) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestClientError.system("socket failed: errno \(errno)") }
        var timeout = timeval(
            tv_sec: Int(timeoutSeconds), tv_usec: Int((timeoutSeconds - timeoutSeconds.rounded(.down)) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let status = withUnsafePointer(to: &address) {
            connect(fd, UnsafeRawPointer($0).assumingMemoryBound(to: sockaddr.self), socklen_t(MemoryLayout<sockaddr_in>.size))
        }
        guard status == 0 else {
            let code = errno
            Glibc.close(fd)
            throw TestClientError.system("connect to port \(port) failed: errno \(code)")
        }
    }

    deinit { Glibc.close(fd) }

    public func send(_ text: String) throws {
        try send(Array(text.utf8))
    }

    public func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard written > 0 else { throw TestClientError.system("send failed: errno \(errno)") }
            offset += written
        }
    }

    /// Reads one response. `forHead` means the request was HEAD, so no body follows the head.
    public func readResponse(forHead: Bool = false) async throws -> TestResponse {
        try await offPool { try self.readResponseBlocking(forHead: forHead) }
    }

    /// True when the server closes the connection within the receive timeout with no more bytes sent.
    public func readsEOF() async -> Bool {
        (try? await offPool { self.readsEOFBlocking() }) ?? false
    }

    private func readResponseBlocking(forHead: Bool) throws -> TestResponse {
        let separator = Array("\r\n\r\n".utf8)
        var headEnd = find(separator)
        while headEnd == nil {
            try fill("response head")
            headEnd = find(separator)
        }
        let end = headEnd!
        let headText = String(decoding: buffer[..<end], as: UTF8.self)
        buffer.removeFirst(end + 4)
        var lines = headText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ", maxSplits: 2)
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else {
            throw TestClientError.system("bad status line in: \(headText)")
        }
        let headers = lines.map { line -> (name: String, value: String) in
            let parts = line.split(separator: ":", maxSplits: 1)
            return (String(parts[0]), parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : "")
        }
        var response = TestResponse(status: status, headers: headers, body: [])
        let length = forHead ? 0 : Int(response.header("Content-Length") ?? "0") ?? 0
        while buffer.count < length { try fill("response body") }
        response.body = Array(buffer[..<length])
        buffer.removeFirst(length)
        return response
    }

    private func readsEOFBlocking() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count == 0 { return buffer.isEmpty }
            if count < 0 { return errno == ECONNRESET && buffer.isEmpty }
            buffer.append(contentsOf: chunk[..<count])
        }
    }

    private func find(_ pattern: [UInt8]) -> Int? {
        guard buffer.count >= pattern.count else { return nil }
        for start in 0...(buffer.count - pattern.count)
        where buffer[start..<(start + pattern.count)].elementsEqual(pattern) {
            return start
        }
        return nil
    }

    private func fill(_ what: String) throws {
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count == 0 { throw TestClientError.closed("while reading the \(what)") }
        if count < 0 {
            if errno == EAGAIN || errno == EWOULDBLOCK { throw TestClientError.timedOut("reading the \(what)") }
            throw TestClientError.system("recv failed: errno \(errno)")
        }
        buffer.append(contentsOf: chunk[..<count])
    }
}

extension TestClient {
    /// Sends one request with `Connection: close` on a new connection and reads its response. A body,
    /// or a POST or PUT, gets a `Content-Length`.
    public static func request(
        port: Int, _ method: String, _ target: String, headers: [(String, String)] = [], body: String = ""
    ) async throws -> TestResponse {
        let client = try TestClient(port: port)
        var text = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "POST" || method == "PUT" { text += "Content-Length: \(body.utf8.count)\r\n" }
        text += "Connection: close\r\n\r\n" + body
        try client.send(text)
        return try await client.readResponse(forHead: method == "HEAD")
    }
}

/// Runs `body` on a new thread and returns its result.
public func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}
