import Foundation
import Glibc
import Testing
import TrellisCore
@testable import TrellisTriggers

/// A one-connection HTTP listener on 127.0.0.1, port 0: it accepts one connection, reads one request
/// (head and `Content-Length` body) and writes `reply`, or nothing when `reply` is nil, then closes.
/// Every wait is bounded by 5 s.
final class CallbackTestListener: @unchecked Sendable {
    let fd: Int32
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(fd, raw, length) == 0 && listen(fd, 4) == 0 && getsockname(fd, raw, &length) == 0
            }
        }
        guard bound else {
            close(fd)
            throw CallbackError.connectFailed(url: "test listener", reason: "bind failed: errno \(errno)")
        }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        self.fd = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(fd) }

    /// Serves one connection on a thread of its own and returns the request bytes it read.
    func serveOne(reply: String?, holdSeconds: Double = 0) async -> [UInt8] {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: self.serveBlocking(reply: reply, holdSeconds: holdSeconds)) }.start()
        }
    }

    private func serveBlocking(reply: String?, holdSeconds: Double) -> [UInt8] {
        let client = accept(fd, nil, nil)
        guard client >= 0 else { return [] }
        defer { close(client) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while !Self.isComplete(received) {
            let count = chunk.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { break }
            received.append(contentsOf: chunk[..<count])
        }
        if let reply {
            _ = Array(reply.utf8).withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }
        if holdSeconds > 0 { usleep(UInt32(holdSeconds * 1_000_000)) }
        return received
    }

    /// True once the head and as many body bytes as `Content-Length` says arrived.
    static func isComplete(_ bytes: [UInt8]) -> Bool {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let headEnd = text.range(of: "\r\n\r\n") else { return false }
        let head = text[..<headEnd.lowerBound].lowercased()
        var length = 0
        for line in head.split(separator: "\r\n") where line.hasPrefix("content-length:") {
            length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) ?? 0
        }
        return text.utf8.count - text[..<headEnd.upperBound].utf8.count >= length
    }
}

@Suite struct CallbackSenderTests {
    static func result(status: Int = 201) -> Response {
        var response = Response(status: status, body: Array(#"{"width":200}"#.utf8))
        response.headers.add("Content-Type", "application/json")
        return response
    }

    @Test func resultDelivered() async throws {
        let listener = try CallbackTestListener()
        async let received = listener.serveOne(reply: "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
        let url = try CallbackURL.parse("http://localhost:\(listener.port)/done?token=t1")
        let status = try await CallbackSender().send(Self.result(), callID: "call-1", to: url)
        #expect(status == 204)

        let text = String(decoding: await received, as: UTF8.self)
        #expect(text.hasPrefix("POST /done?token=t1 HTTP/1.1\r\n"))
        #expect(text.contains("\r\nHost: localhost:\(listener.port)\r\n"))
        #expect(text.contains("\r\nX-Call-Id: call-1\r\n"))
        #expect(text.contains("\r\nX-Function-Status: 201\r\n"))
        #expect(text.contains("\r\nContent-Type: application/json\r\n"))
        #expect(text.contains("\r\nContent-Length: 13\r\n"))
        #expect(text.hasSuffix("\r\n\r\n{\"width\":200}"))
    }

    @Test func non2xxIsRejected() async throws {
        let listener = try CallbackTestListener()
        async let received = listener.serveOne(reply: "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n")
        let url = try CallbackURL.parse("http://127.0.0.1:\(listener.port)/done")
        await #expect(throws: CallbackError.rejected(url: url.description, status: 500)) {
            try await CallbackSender().send(Self.result(), callID: "call-2", to: url)
        }
        _ = await received
    }

    @Test func garbageReplyIsInvalid() async throws {
        let listener = try CallbackTestListener()
        async let received = listener.serveOne(reply: "SSH-2.0-OpenSSH\r\n")
        let url = try CallbackURL.parse("http://127.0.0.1:\(listener.port)/done")
        await #expect(throws: CallbackError.invalidResponse(url: url.description)) {
            try await CallbackSender().send(Self.result(), callID: "call-3", to: url)
        }
        _ = await received
    }

    @Test func silentReceiverTimesOut() async throws {
        let listener = try CallbackTestListener()
        async let received = listener.serveOne(reply: nil, holdSeconds: 1)
        let url = try CallbackURL.parse("http://127.0.0.1:\(listener.port)/done")
        let sender = CallbackSender(receiveTimeout: .milliseconds(200))
        await #expect(throws: CallbackError.timedOut(url: url.description, during: "waiting for the reply")) {
            try await sender.send(Self.result(), callID: "call-4", to: url)
        }
        _ = await received
    }

    @Test func closedPortFailsToConnect() async throws {
        let port: Int
        do {
            let listener = try CallbackTestListener()
            port = listener.port
        }
        let url = try CallbackURL.parse("http://127.0.0.1:\(port)/done")
        do {
            _ = try await CallbackSender().send(Self.result(), callID: "call-5", to: url)
            Issue.record("the send to a closed port succeeded")
        } catch {
            guard case .connectFailed = error else {
                Issue.record("expected connectFailed, got \(error)")
                return
            }
        }
    }

    @Test func controlCharactersLeftOut() throws {
        var response = Response(status: 200)
        response.headers.add("Content-Type", "text/plain\r\nX-Injected: 1")
        let url = try CallbackURL.parse("http://127.0.0.1:9/x")
        let sent = String(decoding: CallbackSender.encodeRequest(response, callID: "bad\r\nid", url: url), as: UTF8.self)
        #expect(!sent.contains("X-Injected"))
        #expect(!sent.contains("bad\r\nid"))
    }
}
