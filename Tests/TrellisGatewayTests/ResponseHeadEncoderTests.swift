import Testing
import TrellisCore
@testable import TrellisGateway

@Suite struct ResponseHeadEncoderTests {
    private func encode(status: Int, headers: Headers = Headers(), length: Int = 5, keepAlive: Bool = true) -> String {
        var buffer = OutputBuffer(capacity: 16)
        ResponseHeadEncoder.encode(
            status: status, headers: headers, contentLength: length, requestID: "req-1", keepAlive: keepAlive,
            date: Array("Sun, 06 Nov 1994 08:49:37 GMT".utf8), into: &buffer)
        return String(decoding: buffer.bytes, as: UTF8.self)
    }

    @Test func headFieldOrder() {
        var headers = Headers()
        headers.add("Content-Type", "text/plain")
        let text = encode(status: 200, headers: headers)
        #expect(text == "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            + "X-Request-Id: req-1\r\nConnection: keep-alive\r\nContent-Type: text/plain\r\n\r\n")
    }

    @Test func gatewayFieldsReplaceHandlers() {
        var headers = Headers()
        headers.add("Content-Length", "999")
        headers.add("transfer-encoding", "chunked")
        headers.add("Connection", "keep-alive")
        headers.add("X-Request-Id", "forged")
        let text = encode(status: 200, headers: headers, keepAlive: false)
        #expect(!text.contains("999"))
        #expect(!text.lowercased().contains("chunked"))
        #expect(!text.contains("forged"))
        #expect(text.contains("Connection: close\r\n"))
        #expect(!text.contains("keep-alive"))
    }

    @Test func unsafeFieldsDropped() {
        var headers = Headers()
        headers.add("X-Split", "a\r\nSet-Cookie: x=1")
        headers.add("Bad Name", "v")
        headers.add("X-Good", "fine")
        let text = encode(status: 200, headers: headers)
        #expect(!text.contains("Set-Cookie"))
        #expect(!text.contains("Bad Name"))
        #expect(text.contains("X-Good: fine\r\n"))
    }

    /// Every `tchar` symbol of RFC 9110 section 5.6.2 passes; the other printable symbols do not.
    @Test(arguments: [
        ("X!#$%&'*+-.^_`|~", true), ("Az09", true), ("X@", false), ("X(", false), ("X)", false), ("X,", false),
        ("X/", false), ("X:", false), ("X;", false), ("X<", false), ("X=", false), ("X>", false), ("X?", false),
        ("X[", false), ("X\\", false), ("X]", false), ("X{", false), ("X}", false), ("X\"", false), ("", false),
    ])
    func fieldNameMustBeToken(name: String, forwardable: Bool) {
        #expect(ResponseHeadEncoder.isForwardable(name: name, value: "v") == forwardable)
    }

    /// The gateway's own fields are dropped in any letter case; other names of the same length pass.
    @Test(arguments: [
        ("DATE", false), ("Data", true), ("connection", false), ("Connectiom", true), ("X-REQUEST-ID", false),
        ("X-Request-Ix", true), ("content-LENGTH", false), ("Content-Lengtx", true), ("Transfer-Encoding", false),
        ("Transfer-Encodinh", true), ("Content-Lengths", true),
    ])
    func gatewayOwnedNameDropped(name: String, forwardable: Bool) {
        #expect(ResponseHeadEncoder.isForwardable(name: name, value: "v") == forwardable)
    }

    @Test(arguments: [(204, false), (304, false), (100, false), (200, true), (404, true), (503, true)])
    func contentLengthPresence(status: Int, present: Bool) {
        #expect(encode(status: status).contains("Content-Length:") == present)
    }

    @Test func unknownStatusHasEmptyReason() {
        #expect(encode(status: 299).hasPrefix("HTTP/1.1 299 \r\n"))
    }

    @Test func bufferGrowsAndReuses() {
        var buffer = OutputBuffer(capacity: 16)
        buffer.append(String(repeating: "x", count: 100))
        buffer.append(decimal: 1_234_567)
        buffer.append(decimal: 0)
        #expect(buffer.count == 108)
        #expect(String(decoding: buffer.bytes, as: UTF8.self).hasSuffix("12345670"))
        buffer.removeAll()
        buffer.append(decimal: -42)
        #expect(String(decoding: buffer.bytes, as: UTF8.self) == "-42")
    }
}
