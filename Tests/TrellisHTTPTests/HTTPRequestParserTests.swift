@testable import TrellisHTTP
import Testing

/// A well-formed input and the requests it must produce.
struct ValidCase: Sendable, CustomTestStringConvertible {
    var name: String
    var request: String
    var expected: [ExpectedRequest]

    var testDescription: String { name }
}

struct ExpectedRequest: Sendable {
    var method = "GET"
    var target = "/"
    var versionMinor = 1
    var headers: [(String, String)] = [("Host", "example.com")]
    var framing = HTTPBodyFraming.none
    var keepAlive = true
    var expectsContinue = false
    var body = ""

    var parsed: ParsedRequest {
        ParsedRequest(
            method: method, target: target, versionMinor: versionMinor,
            headers: headers.map { ParsedRequest.Field(name: $0.0, value: $0.1) }, framing: framing,
            keepAlive: keepAlive, expectsContinue: expectsContinue, body: Array(body.utf8))
    }
}

private let validCases: [ValidCase] = [
    ValidCase(
        name: "GET with query",
        request: "GET /function/hello?x=1 HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n",
        expected: [ExpectedRequest(target: "/function/hello?x=1", headers: [("Host", "example.com"), ("Accept", "*/*")])]),
    ValidCase(
        name: "values trimmed of SP and HTAB",
        request: "GET / HTTP/1.1\r\nHost:example.com\r\nX-A: \t a b \t\r\nX-Empty:\r\n\r\n",
        expected: [ExpectedRequest(headers: [("Host", "example.com"), ("X-A", "a b"), ("X-Empty", "")])]),
    ValidCase(
        name: "POST with Content-Length",
        request: "POST /f HTTP/1.1\r\nHost: example.com\r\nContent-Length: 11\r\n\r\nhello world",
        expected: [ExpectedRequest(
            method: "POST", target: "/f", headers: [("Host", "example.com"), ("Content-Length", "11")],
            framing: .contentLength(11), body: "hello world")]),
    ValidCase(
        name: "POST with Content-Length 0",
        request: "POST /f HTTP/1.1\r\nHost: example.com\r\nContent-Length: 0\r\n\r\n",
        expected: [ExpectedRequest(
            method: "POST", target: "/f", headers: [("Host", "example.com"), ("Content-Length", "0")],
            framing: .contentLength(0))]),
    ValidCase(
        name: "chunked with extensions and trailers",
        request: "POST /f HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5;name=value;flag\r\nhello\r\n6;q=\"a \\\"b\\\" c\"\r\n world\r\nA\r\n0123456789\r\n"
            + "0;last\r\nExpires: never\r\nX-Checksum: 1\r\n\r\n",
        expected: [ExpectedRequest(
            method: "POST", target: "/f", headers: [("Host", "example.com"), ("Transfer-Encoding", "chunked")],
            framing: .chunked, body: "hello world0123456789")]),
    ValidCase(
        name: "chunk data containing CRLF",
        request: "POST /f HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: Chunked\r\n\r\n4\r\n\r\n\r\n\r\n0\r\n\r\n",
        expected: [ExpectedRequest(
            method: "POST", target: "/f", headers: [("Host", "example.com"), ("Transfer-Encoding", "Chunked")],
            framing: .chunked, body: "\r\n\r\n")]),
    ValidCase(
        name: "pipelined requests in one buffer",
        request: "GET /a HTTP/1.1\r\nHost: example.com\r\n\r\n"
            + "POST /b HTTP/1.1\r\nHost: example.com\r\nContent-Length: 3\r\n\r\nabc"
            + "POST /c HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"
            + "GET /d HTTP/1.1\r\nHost: example.com\r\nConnection: keep-alive, Close\r\n\r\n",
        expected: [
            ExpectedRequest(target: "/a"),
            ExpectedRequest(
                method: "POST", target: "/b", headers: [("Host", "example.com"), ("Content-Length", "3")],
                framing: .contentLength(3), body: "abc"),
            ExpectedRequest(
                method: "POST", target: "/c", headers: [("Host", "example.com"), ("Transfer-Encoding", "chunked")],
                framing: .chunked, body: "ok"),
            ExpectedRequest(
                target: "/d", headers: [("Host", "example.com"), ("Connection", "keep-alive, Close")], keepAlive: false),
        ]),
    ValidCase(
        name: "empty lines before and between requests",
        request: "\r\n\r\nPOST / HTTP/1.1\r\nHost: example.com\r\nContent-Length: 1\r\n\r\nx\r\n"
            + "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n",
        expected: [
            ExpectedRequest(
                method: "POST", headers: [("Host", "example.com"), ("Content-Length", "1")],
                framing: .contentLength(1), body: "x"),
            ExpectedRequest(),
        ]),
    ValidCase(
        name: "HTTP/1.0 closes by default",
        request: "GET /old HTTP/1.0\r\n\r\n",
        expected: [ExpectedRequest(target: "/old", versionMinor: 0, headers: [], keepAlive: false)]),
    ValidCase(
        name: "HTTP/1.0 with keep-alive",
        request: "POST /old HTTP/1.0\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\nhi",
        expected: [ExpectedRequest(
            method: "POST", target: "/old", versionMinor: 0,
            headers: [("Connection", "Keep-Alive"), ("Content-Length", "2")], framing: .contentLength(2),
            keepAlive: true, body: "hi")]),
    ValidCase(
        name: "HTTP/1.0 keep-alive overridden by close",
        request: "GET / HTTP/1.0\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n",
        expected: [ExpectedRequest(
            versionMinor: 0, headers: [("Connection", "keep-alive"), ("Connection", "close")], keepAlive: false)]),
    ValidCase(
        name: "Expect 100-continue in any case",
        request: "PUT /f HTTP/1.1\r\nHost: example.com\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n\r\nok",
        expected: [ExpectedRequest(
            method: "PUT", target: "/f",
            headers: [("Host", "example.com"), ("Expect", "100-Continue"), ("Content-Length", "2")],
            framing: .contentLength(2), expectsContinue: true, body: "ok")]),
    ValidCase(
        name: "absolute-form target kept as sent",
        request: "GET http://example.com/a?b=c HTTP/1.1\r\nHost: example.com\r\n\r\n",
        expected: [ExpectedRequest(target: "http://example.com/a?b=c")]),
    ValidCase(
        name: "OPTIONS with asterisk",
        request: "OPTIONS * HTTP/1.1\r\nHost: example.com\r\n\r\n",
        expected: [ExpectedRequest(method: "OPTIONS", target: "*")]),
    ValidCase(
        name: "unknown method token",
        request: "PURGE-ALL /cache HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n",
        expected: [ExpectedRequest(method: "PURGE-ALL", target: "/cache", headers: [("Host", "[::1]:8080")])]),
    ValidCase(
        name: "obs-text value becomes U+FFFD",
        request: "GET / HTTP/1.1\r\nHost: example.com\r\nX-Name: caf\u{E9}\r\n\r\n",
        expected: [ExpectedRequest(headers: [("Host", "example.com"), ("X-Name", "caf\u{E9}")])]),
]

@Suite struct HTTPRequestParserTests {
    @Test(arguments: validCases)
    func validRequestWhole(_ testCase: ValidCase) {
        let outcome = parseRequests(bytes(testCase.request))
        #expect(outcome.error == nil)
        #expect(outcome.requests == testCase.expected.map(\.parsed))
        #expect(!outcome.insideRequest)
    }

    @Test(arguments: validCases)
    func validRequestByteAtATime(_ testCase: ValidCase) {
        let outcome = parseRequests(bytes(testCase.request), pieceSize: 1)
        #expect(outcome.error == nil)
        #expect(outcome.requests == testCase.expected.map(\.parsed))
        #expect(!outcome.insideRequest)
    }

    @Test(arguments: validCases)
    func validRequestSevenByteSplits(_ testCase: ValidCase) {
        let outcome = parseRequests(bytes(testCase.request), pieceSize: 7)
        #expect(outcome.error == nil)
        #expect(outcome.requests == testCase.expected.map(\.parsed))
    }

    @Test func pipelinedBytesStayBuffered() throws {
        var parser = HTTPRequestParser()
        let first = "GET /a HTTP/1.1\r\nHost: example.com\r\n\r\n"
        let second = "GET /b HTTP/1.1\r\nHost: exa"
        parser.append(bytes(first + second))
        #expect(parser.isInsideRequest)

        guard case .head(let head) = try parser.next() else {
            Issue.record("expected the head of the first request")
            return
        }
        #expect(head.target == "/a")
        guard case .end = try parser.next() else {
            Issue.record("expected the end of the first request")
            return
        }
        #expect(parser.bufferedByteCount == second.utf8.count)
        #expect(try parser.next() == nil)
        #expect(parser.isInsideRequest)

        parser.append(bytes("mple.com\r\n\r\n"))
        guard case .head(let secondHead) = try parser.next() else {
            Issue.record("expected the head of the second request")
            return
        }
        #expect(secondHead.target == "/b")
        #expect(secondHead.headerValue("host") == "example.com")
        guard case .end = try parser.next() else {
            Issue.record("expected the end of the second request")
            return
        }
        #expect(parser.bufferedByteCount == 0)
        #expect(!parser.isInsideRequest)
        #expect(try parser.next() == nil)
    }

    @Test func bodyEventsFollowArrivingBytes() throws {
        var parser = HTTPRequestParser()
        parser.append(bytes("POST / HTTP/1.1\r\nHost: example.com\r\nContent-Length: 6\r\n\r\nabc"))
        guard case .head(let head) = try parser.next() else {
            Issue.record("expected a head")
            return
        }
        #expect(head.framing == .contentLength(6))
        guard case .body(let firstPiece) = try parser.next() else {
            Issue.record("expected a body piece")
            return
        }
        #expect(firstPiece == bytes("abc"))
        #expect(try parser.next() == nil)
        #expect(parser.isInsideRequest)

        parser.append(bytes("defGET"))
        guard case .body(let secondPiece) = try parser.next() else {
            Issue.record("expected a body piece")
            return
        }
        #expect(secondPiece == bytes("def"))
        guard case .end = try parser.next() else {
            Issue.record("expected the end")
            return
        }
        #expect(parser.bufferedByteCount == 3)
    }

    @Test func consumedBytesAreCompacted() throws {
        var parser = HTTPRequestParser()
        let request = bytes("POST /f HTTP/1.1\r\nHost: example.com\r\nContent-Length: 100\r\n\r\n")
            + [UInt8](repeating: UInt8(ascii: "x"), count: 100)
        var completed = 0
        var largestStore = 0

        // Two and a half requests per append, so a partial request is always left over.
        var pending: [UInt8] = []
        for _ in 0..<400 { pending += request }
        let piece = request.count * 5 / 2
        var offset = 0
        while offset < pending.count {
            let end = min(offset + piece, pending.count)
            pending[offset..<end].withUnsafeBytes { parser.append($0) }
            offset = end
            largestStore = max(largestStore, parser.storedByteCount)
            while let event = try parser.next() {
                if case .end = event { completed += 1 }
            }
        }

        #expect(completed == 400)
        // Without compaction the store would grow to all 400 requests (about 72 KB).
        #expect(largestStore < 4096 * 2 + piece * 2)
    }

    @Test func errorIsSticky() throws {
        var parser = HTTPRequestParser()
        parser.append(bytes("GET / HTTP/1.1\r\nHost : example.com\r\n\r\n"))
        let first = #expect(throws: HTTPParseError.self) { try parser.next() }
        #expect(first?.code == "whitespace_before_colon")

        parser.append(bytes("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"))
        let second = #expect(throws: HTTPParseError.self) { try parser.next() }
        #expect(second == first)
        #expect(!parser.isInsideRequest)
    }

    @Test func limitsCheckedBeforeLineEnd() {
        var limits = HTTPParserLimits()
        limits.requestLineBytes = 32
        limits.headerBytes = 64
        limits.chunkExtensionBytes = 8

        let requestLine = parseRequests(bytes("GET /" + String(repeating: "a", count: 40)), limits: limits)
        #expect(requestLine.error?.code == "request_line_too_long")
        #expect(requestLine.error?.status == 414)

        let headerLine = parseRequests(
            bytes("GET / HTTP/1.1\r\nHost: example.com\r\nX-Big: " + String(repeating: "b", count: 60)), limits: limits)
        #expect(headerLine.error?.code == "header_block_too_large")
        #expect(headerLine.error?.status == 431)

        let chunkHead = "POST / HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\n\r\n"
        let sizeDigits = parseRequests(bytes(chunkHead + String(repeating: "0", count: 16)), limits: limits)
        #expect(sizeDigits.error?.code == "chunk_size_too_large")

        let extensionBytes = parseRequests(bytes(chunkHead + "1;" + String(repeating: "e", count: 8)), limits: limits)
        #expect(extensionBytes.error?.code == "chunk_extension_too_long")
    }

    @Test func requestLineAtLimitAccepted() {
        var limits = HTTPParserLimits()
        limits.requestLineBytes = 32
        let line = "GET /" + String(repeating: "a", count: 32 - "GET / HTTP/1.1".count) + " HTTP/1.1"
        #expect(line.utf8.count == 32)
        let outcome = parseRequests(bytes(line + "\r\nHost: example.com\r\n\r\n"), limits: limits, pieceSize: 1)
        #expect(outcome.error == nil)
        #expect(outcome.requests.count == 1)
    }

    @Test func headerCountCheckedBeforeHeadEnds() {
        var limits = HTTPParserLimits()
        limits.headerCount = 3
        let outcome = parseRequests(bytes("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n"), limits: limits)
        #expect(outcome.error?.code == "too_many_headers")
        #expect(outcome.error?.status == 431)
    }

    @Test func trailersCountAgainstHeaderLimit() {
        var limits = HTTPParserLimits()
        limits.headerCount = 3
        let request = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT1: 1\r\nT2: 2\r\n\r\n"
        let outcome = parseRequests(bytes(request), limits: limits)
        #expect(outcome.error?.code == "too_many_headers")
    }

    @Test func contentLengthOverLimitBeforeBody() {
        var limits = HTTPParserLimits()
        limits.bodyBytes = 1000
        var parser = HTTPRequestParser(limits: limits)
        parser.append(bytes("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 1001\r\n\r\n"))
        let error = #expect(throws: HTTPParseError.self) { try parser.next() }
        #expect(error?.status == 413)
        #expect(error?.code == "body_too_large")
    }

    @Test func chunkOverLimitBeforeData() {
        var limits = HTTPParserLimits()
        limits.bodyBytes = 1000
        var parser = HTTPRequestParser(limits: limits)
        parser.append(bytes("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n200\r\n"))
        #expect(throws: Never.self) { _ = try parser.next() }
        parser.append(bytes(String(repeating: "x", count: 0x200) + "\r\n3E9\r\n"))
        var error: HTTPParseError?
        do {
            while try parser.next() != nil {}
        } catch let thrown {
            error = thrown
        }
        #expect(error?.status == 413)
        #expect(error?.code == "body_too_large")
    }

    @Test func messageNamesNoRequestBytes() {
        let outcome = parseRequests(bytes("GET / HTTP/1.1\r\nHost: a\r\nX-Secret: token\u{1}\r\n\r\n"))
        #expect(outcome.error?.code == "invalid_header_value")
        let message = outcome.error?.message ?? ""
        #expect(message.contains("X-Secret"))
        #expect(!message.contains("token"))
    }
}
