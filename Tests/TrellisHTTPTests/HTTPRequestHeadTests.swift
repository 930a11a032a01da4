@testable import TrellisHTTP
import Testing

/// The head of the single request in `text`, parsed in one piece.
private func head(_ text: String) throws -> HTTPRequestHead {
    var parser = HTTPRequestParser()
    parser.append(bytes(text))
    guard case .head(let head) = try parser.next() else {
        Issue.record("expected a head")
        throw HTTPParseError(status: 0, code: "no_head", message: "no head")
    }
    return head
}

private func parseError(_ text: String) -> HTTPParseError? {
    parseRequests(bytes(text)).error
}

@Suite struct HTTPRequestHeadTests {
    @Test func requestIDFieldIsTheFirstInAnyCase() throws {
        #expect(try head("GET / HTTP/1.1\r\nHost: a\r\n\r\n").requestIDField == nil)
        #expect(try head("GET / HTTP/1.1\r\nHost: a\r\nX-Request-Id: one\r\n\r\n").requestIDField == "one")
        #expect(try head("GET / HTTP/1.1\r\nx-request-ID:  two \r\nX-Request-Id: three\r\nHost: a\r\n\r\n").requestIDField == "two")
        // Same length, another name.
        #expect(try head("GET / HTTP/1.1\r\nHost: a\r\nX-Request-Ix: no\r\n\r\n").requestIDField == nil)
    }

    @Test func requestIDFieldFollowsChangedHeaders() throws {
        var parsed = try head("GET / HTTP/1.1\r\nHost: a\r\nX-Request-Id: one\r\n\r\n")
        parsed.headers.insert((name: "x-request-id", value: "zero"), at: 0)
        #expect(parsed.requestIDField == "zero")
        parsed.headers.removeAll()
        #expect(parsed.requestIDField == nil)
    }

    @Test func requestIDFieldOfAHeadMadeInCode() {
        let made = HTTPRequestHead(
            method: "GET", target: "/", versionMinor: 1, headers: [("Host", "a"), ("X-REQUEST-ID", "made")],
            framing: .none, keepAlive: true, expectsContinue: false)
        #expect(made.requestIDField == "made")
    }

    @Test(arguments: ["GET", "PUT", "POST", "HEAD", "PATCH", "TRACE", "DELETE", "OPTIONS", "CONNECT", "get", "PURGE", "M-SEARCH", "GETX"])
    func methodIsTheSentToken(method: String) throws {
        // CONNECT and OPTIONS take the origin-form here too, which the parser accepts.
        #expect(try head("\(method) /x HTTP/1.1\r\nHost: a\r\n\r\n").method == method)
    }

    @Test func versionsAndTheirErrors() throws {
        #expect(try head("GET / HTTP/1.0\r\n\r\n").versionMinor == 0)
        #expect(try head("GET / HTTP/1.1\r\nHost: a\r\n\r\n").versionMinor == 1)
        #expect(parseError("GET / HTTP/2.0\r\nHost: a\r\n\r\n")?.code == "unsupported_version")
        #expect(parseError("GET / HTTP/1.2\r\nHost: a\r\n\r\n")?.code == "unsupported_version")
        #expect(parseError("GET / HTTP/1.x\r\nHost: a\r\n\r\n")?.code == "invalid_version")
        #expect(parseError("GET / http/1.1\r\nHost: a\r\n\r\n")?.code == "invalid_version")
        #expect(parseError("GET / HTTP/1.11\r\nHost: a\r\n\r\n")?.code == "invalid_version")
    }

    @Test(arguments: [
        ("", "the value is empty"), ("5, 5", "the value is a list, not one number"), ("1a", "the value is not a decimal number"),
        ("99999999999999999999", "the value is too large to represent"),
    ])
    func contentLengthProblemIsNamed(value: String, problem: String) {
        let error = parseError("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \(value)\r\n\r\n")
        #expect(error == .invalidContentLength(problem))
    }

    @Test func invalidContentLengthWaitsForTheWholeSection() {
        // The folded line is reported, not the Content-Length value before it.
        let error = parseError("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n folded\r\n\r\n")
        #expect(error?.code == "obsolete_line_folding")
        // With Transfer-Encoding the invalid value still counts as a Content-Length.
        let both = parseError("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        #expect(both?.code == "content_length_with_transfer_encoding")
    }

    @Test func manyFieldsKeepTheirOrder() throws {
        // More fields than the builder reserves at first, then a request with fewer.
        let names = (0..<20).map { "X-Field-\($0)" }
        var parser = HTTPRequestParser()
        for count in [20, 3, 20] {
            let fields = names.prefix(count).map { "\($0): v\($0)\r\n" }.joined()
            parser.append(bytes("GET / HTTP/1.1\r\nHost: a\r\n\(fields)\r\n"))
            guard case .head(let parsed) = try parser.next() else {
                Issue.record("expected a head")
                return
            }
            #expect(parsed.headers.map(\.name) == ["Host"] + names.prefix(count))
            #expect(parsed.headers.dropFirst().map(\.value) == names.prefix(count).map { "v\($0)" })
            guard case .end = try parser.next() else {
                Issue.record("expected the end")
                return
            }
        }
    }

    @Test func longNamesValuesAndTargets() throws {
        let name = "X-" + String(repeating: "Long_Name.", count: 10)
        let value = String(repeating: "value with spaces\t", count: 10) + "end"
        let target = "/function/hello/" + String(repeating: "segment/", count: 20) + "?q=" + String(repeating: "x", count: 50)
        let parsed = try head("GET \(target) HTTP/1.1\r\nHost: a\r\n\(name):\t \(value) \t\r\n\r\n")
        #expect(parsed.target == target)
        #expect(parsed.headers.last?.name == name)
        #expect(parsed.headers.last?.value == value)
    }
}
