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

    /// Whole heads byte for byte: statuses with and without a body, lengths, keep-alive and close.
    @Test(arguments: [
        (200, 14, true, "HTTP/1.1 200 OK\r\nContent-Length: 14\r\n"),
        (201, 0, true, "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n"),
        (204, 0, true, "HTTP/1.1 204 No Content\r\n"),
        (304, 99, false, "HTTP/1.1 304 Not Modified\r\n"),
        (100, 0, true, "HTTP/1.1 100 Continue\r\n"),
        (404, 1_234_567_890, false, "HTTP/1.1 404 Not Found\r\nContent-Length: 1234567890\r\n"),
        (431, 9, true, "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 9\r\n"),
        (503, 10, true, "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 10\r\n"),
        (505, 100, true, "HTTP/1.1 505 HTTP Version Not Supported\r\nContent-Length: 100\r\n"),
        (418, 5, true, "HTTP/1.1 418 \r\nContent-Length: 5\r\n"),
        (199, 5, true, "HTTP/1.1 199 \r\n"),
        (42, 5, true, "HTTP/1.1 42 \r\nContent-Length: 5\r\n"),
        (1000, Int.max, true, "HTTP/1.1 1000 \r\nContent-Length: 9223372036854775807\r\n"),
    ])
    func wholeHead(status: Int, length: Int, keepAlive: Bool, start: String) {
        let connection = keepAlive ? "keep-alive" : "close"
        #expect(encode(status: status, length: length, keepAlive: keepAlive) == start
            + "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\nX-Request-Id: req-1\r\nConnection: \(connection)\r\n\r\n")
    }

    /// The response to HEAD carries the Content-Length of the body a GET would get; the connection
    /// leaves the body out.
    @Test func headResponseKeepsTheGETLength() {
        #expect(encode(status: 200, length: 1234).contains("\r\nContent-Length: 1234\r\n"))
    }

    @Test func handlerFieldsInOrderAfterTheGatewayFields() {
        var headers = Headers()
        headers.add("Content-Type", "application/json")
        headers.add("RateLimit-Policy", "\"principal\";q=10;w=1")
        headers.add("X-A", "")
        headers.add("Set-Cookie", "a=1")
        headers.add("set-cookie", "b=2")
        headers.add("X_Under.Score", "caf\u{E9} \t tab")
        #expect(encode(status: 200, headers: headers, length: 2) == "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
            + "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\nX-Request-Id: req-1\r\nConnection: keep-alive\r\n"
            + "Content-Type: application/json\r\nRateLimit-Policy: \"principal\";q=10;w=1\r\nX-A: \r\n"
            + "Set-Cookie: a=1\r\nset-cookie: b=2\r\nX_Under.Score: caf\u{E9} \t tab\r\n\r\n")
    }

    /// A field dropped in the middle leaves no trace, and the fields around it are intact.
    @Test func droppedFieldsLeaveNoBytes() {
        var headers = Headers()
        headers.add("X-Before", "1")
        headers.add("X-Long-Value", String(repeating: "v", count: 37) + "\n" + String(repeating: "w", count: 20))
        headers.add("Content-length", "5")
        headers.add("X-Null", "a\u{0}b")
        headers.add("X Space", "v")
        headers.add("", "v")
        headers.add("X-After", "2")
        #expect(encode(status: 200, headers: headers).hasSuffix("Connection: keep-alive\r\nX-Before: 1\r\nX-After: 2\r\n\r\n"))
    }

    /// A control byte other than HTAB, or DEL, is found at every position of values up to 40 bytes,
    /// while tabs and obs-text pass.
    @Test func controlByteAtEveryPositionIsDropped() {
        let controls = (0..<0x20).filter { $0 != 0x09 }.map { String(UnicodeScalar(UInt8($0))) } + ["\u{7F}"]
        for length in 1...40 {
            for position in 0..<length {
                for bad in controls {
                    var value = Array(repeating: "x", count: length)
                    value[position] = bad
                    #expect(!ResponseHeadEncoder.isForwardable(name: "X-V", value: value.joined()), "\(length) \(position)")
                }
                var allowed = Array(repeating: "y", count: length)
                allowed[position] = position % 2 == 0 ? "\t" : "\u{E9}"
                #expect(ResponseHeadEncoder.isForwardable(name: "X-V", value: allowed.joined()), "\(length) \(position)")
            }
        }
    }

    /// Heads of random fields match a plain encoder that appends strings, and fill a buffer that
    /// starts small and has to grow.
    @Test func randomHeadsMatchAPlainEncoder() {
        var generator = SeededGenerator(state: 7)
        let nameParts = ["X", "Content-Type", "Date", "connection", "X-Request-Id", "A_b", "Bad Name", "ü", "Etag", "RateLimit"]
        let valueParts = ["", "v", "text/plain; charset=utf-8", "\r", "\n", "\u{0}", "\u{1}", "\u{7F}", "\t", "é", String(repeating: "z", count: 70)]
        let date = Array("Sun, 06 Nov 1994 08:49:37 GMT".utf8)
        var buffer = OutputBuffer(capacity: 16)
        for _ in 0..<2000 {
            var headers = Headers()
            for _ in 0..<Int.random(in: 0...6, using: &generator) {
                let name = (0..<Int.random(in: 1...3, using: &generator)).map { _ in nameParts.randomElement(using: &generator)! }.joined()
                let value = (0..<Int.random(in: 0...4, using: &generator)).map { _ in valueParts.randomElement(using: &generator)! }.joined()
                headers.add(name, value)
            }
            let status = [200, 204, 304, 404, 418, 500, 101, 99, 700].randomElement(using: &generator)!
            let length = Int.random(in: 0...100_000, using: &generator)
            let keepAlive = Bool.random(using: &generator)
            let requestID = String(repeating: "r", count: Int.random(in: 1...128, using: &generator))
            ResponseHeadEncoder.encode(
                status: status, headers: headers, contentLength: length, requestID: requestID, keepAlive: keepAlive,
                date: date, into: &buffer)
            let expected = Self.plainHead(
                status: status, headers: headers, contentLength: length, requestID: requestID, keepAlive: keepAlive)
            #expect(Array(buffer.bytes) == Array(expected.utf8))
        }
    }

    /// The head as the encoder wrote it before it was reworked: one string append after another.
    private static func plainHead(status: Int, headers: Headers, contentLength: Int, requestID: String, keepAlive: Bool) -> String {
        let reasons = [
            100: "Continue", 101: "Switching Protocols", 200: "OK", 204: "No Content", 304: "Not Modified",
            404: "Not Found", 500: "Internal Server Error",
        ]
        var text = "HTTP/1.1 \(status) \(reasons[status] ?? "")"
        if !((100..<200).contains(status) || status == 204 || status == 304) { text += "\r\nContent-Length: \(contentLength)" }
        text += "\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nX-Request-Id: \(requestID)"
        text += keepAlive ? "\r\nConnection: keep-alive\r\n" : "\r\nConnection: close\r\n"
        let owned: Set<String> = ["date", "connection", "x-request-id", "content-length", "transfer-encoding"]
        let tchar = Set("!#$%&'*+-.^_`|~".utf8)
        for field in headers {
            let isToken = !field.name.isEmpty && field.name.utf8.allSatisfy {
                ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) || tchar.contains($0)
            }
            // RFC 9110 section 5.5: VCHAR, obs-text, SP and HTAB.
            let isSafe = field.value.utf8.allSatisfy { $0 == 9 || ($0 >= 0x20 && $0 != 0x7F) }
            guard isToken, isSafe, !owned.contains(field.name.lowercased()) else { continue }
            text += "\(field.name): \(field.value)\r\n"
        }
        return text + "\r\n"
    }

    /// Every length from 0 to 80 is copied exactly, with nothing written past it.
    @Test func writerCopiesExactly() {
        let source = Array((0..<80).map { UInt8(33 + $0) })
        let target = UnsafeMutablePointer<UInt8>.allocate(capacity: 100)
        defer { target.deallocate() }
        for length in 0...80 {
            target.initialize(repeating: 0, count: 100)
            var writer = HeadWriter(cursor: target)
            source.withUnsafeBufferPointer { writer.write(UnsafeBufferPointer(rebasing: $0[0..<length])) }
            #expect(writer.cursor == target + length)
            #expect(Array(UnsafeBufferPointer(start: target, count: length)) == Array(source[0..<length]), "length \(length)")
            #expect(UnsafeBufferPointer(start: target + length, count: 100 - length).allSatisfy { $0 == 0 }, "length \(length)")
        }
    }

    @Test(arguments: [0, 1, 9, 10, 99, 100, 12_345, -1, -10, Int.max, Int.min])
    func writerDecimals(value: Int) {
        let target = UnsafeMutablePointer<UInt8>.allocate(capacity: 32)
        defer { target.deallocate() }
        var writer = HeadWriter(cursor: target)
        writer.write(decimal: value)
        #expect(String(decoding: UnsafeBufferPointer(start: target, count: writer.cursor - target), as: UTF8.self) == "\(value)")
    }

    @Test func dateOfAnotherLengthIsCopied() {
        var buffer = OutputBuffer(capacity: 16)
        ResponseHeadEncoder.encode(
            status: 200, headers: Headers(), contentLength: 1, requestID: "r", keepAlive: true, date: Array("today".utf8),
            into: &buffer)
        #expect(String(decoding: buffer.bytes, as: UTF8.self).contains("\r\nDate: today\r\n"))
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

/// SplitMix64: a small seeded generator, so that a failing random case can be reproduced.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}
