import Foundation
import Testing
import TrellisTestSupport
import TrellisCore

/// Malformed, smuggling and over-limit requests against the real gateway. Each must get its RFC 9112
/// status with a JSON error body, and the connection must close. After a framing error the server
/// cannot know where the next request starts (RFC 9112, sections 6.3 and 11.2).
@Suite struct MalformedRequestTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let request: [UInt8]
        let status: Int
        var testDescription: String { name }

        init(_ name: String, _ request: String, _ status: Int) {
            self.name = name
            self.request = Array(request.utf8)
            self.status = status
        }

        init(_ name: String, bytes: [UInt8], _ status: Int) {
            self.name = name
            self.request = bytes
            self.status = status
        }
    }

    static let head = "POST /function/echo HTTP/1.1\r\nHost: t\r\n"
    static let longTarget = "/function/hello?" + String(repeating: "a", count: 8 * 1024 + 10)
    static let bigHeaders = (0..<17).map { "X-Pad-\($0): \(String(repeating: "b", count: 1000))\r\n" }.joined()
    static let manyHeaders = (0..<101).map { "X-H\($0): v\r\n" }.joined()

    static let cases: [Case] = [
        // Request smuggling: ambiguous framing (RFC 9112, section 6.1 and 6.3).
        Case("CL and TE", head + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        Case("TE and CL", head + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n", 400),
        Case("duplicate CL", head + "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello", 400),
        Case("CL list", head + "Content-Length: 5, 5\r\n\r\nhello", 400),
        Case("CL not digits", head + "Content-Length: abc\r\n\r\n", 400),
        Case("CL negative", head + "Content-Length: -1\r\n\r\n", 400),
        Case("CL plus sign", head + "Content-Length: +5\r\n\r\nhello", 400),
        Case("CL overflow", head + "Content-Length: 99999999999999999999999\r\n\r\n", 400),
        Case("TE gzip then chunked", head + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501),
        Case("TE chunked not final", head + "Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n", 400),
        Case("TE xchunked", head + "Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", 400),
        Case("TE identity", head + "Transfer-Encoding: identity\r\n\r\n", 400),
        Case("TE chunked twice", head + "Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", 400),
        Case("TE in HTTP/1.0", "POST /function/echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        Case("TE obs-fold", head + "Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n", 400),
        // Field syntax (RFC 9112, section 5).
        Case("space before colon", "GET /function/hello HTTP/1.1\r\nHost : t\r\n\r\n", 400),
        Case("obs-fold", "GET /function/hello HTTP/1.1\r\nHost: t\r\nX-A: 1\r\n\t2\r\n\r\n", 400),
        Case("bare CR in value", "GET /function/hello HTTP/1.1\r\nHost: t\r\nX-A: 1\r2\r\n\r\n", 400),
        Case("bare LF line end", "GET /function/hello HTTP/1.1\nHost: t\n\n", 400),
        Case("NUL in value", bytes: Array("GET /function/hello HTTP/1.1\r\nHost: t\r\nX-A: a".utf8) + [0] + Array("b\r\n\r\n".utf8), 400),
        Case("invalid field name", "GET /function/hello HTTP/1.1\r\nHost: t\r\nBad[Name]: x\r\n\r\n", 400),
        Case("missing Host", "GET /function/hello HTTP/1.1\r\n\r\n", 400),
        Case("two Host fields", "GET /function/hello HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
        // Request line (RFC 9112, section 3).
        Case("invalid method", "G@T /function/hello HTTP/1.1\r\nHost: t\r\n\r\n", 400),
        Case("control byte in target", "GET /function/he\u{1}llo HTTP/1.1\r\nHost: t\r\n\r\n", 400),
        Case("extra request-line part", "GET /function/hello HTTP/1.1 extra\r\nHost: t\r\n\r\n", 400),
        Case("HTTP/2.0 version", "GET /function/hello HTTP/2.0\r\nHost: t\r\n\r\n", 505),
        Case("garbage version", "GET /function/hello HTXP/1.1\r\nHost: t\r\n\r\n", 400),
        // Chunked framing (RFC 9112, section 7.1).
        Case("chunk size not hex", head + "Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", 400),
        Case("chunk size 0x prefix", head + "Transfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n", 400),
        Case("chunk size overflow", head + "Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\nhello\r\n0\r\n\r\n", 400),
        Case("chunk data without CRLF", head + "Transfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n", 400),
        Case("chunk extension too long", head + "Transfer-Encoding: chunked\r\n\r\n5;ext=\(String(repeating: "e", count: 300))\r\nhello\r\n0\r\n\r\n", 400),
        // Limits (the config's defaults).
        Case("request line over 8 KiB", "GET \(longTarget) HTTP/1.1\r\nHost: t\r\n\r\n", 414),
        Case("header block over 16 KiB", "GET /function/hello HTTP/1.1\r\nHost: t\r\n\(bigHeaders)\r\n", 431),
        Case("101 header fields", "GET /function/hello HTTP/1.1\r\nHost: t\r\n\(manyHeaders)\r\n", 431),
        Case("Content-Length over 1 MiB", head + "Content-Length: 1048577\r\n\r\n", 413),
    ]

    @Test(arguments: cases)
    func rejectedWithStatusAndClosed(_ testCase: Case) async throws {
        try await withGateway(config: "{}") { (gateway: RunningGateway) async throws in
            let client = try TestClient(port: gateway.port)
            try client.send(testCase.request)
            let response = try await client.readResponse()
            #expect(response.status == testCase.status, "\(testCase.name): \(response.text)")
            #expect(response.header("Connection") == "close", "\(testCase.name)")
            #expect(response.header("Content-Type") == "application/json", "\(testCase.name)")
            let body = try JSON.parse(response.body)
            #expect(body["error"]?.stringValue?.isEmpty == false, "\(testCase.name)")
            #expect(await client.readsEOF(), "\(testCase.name): connection left open")
        }
    }

    @Test func chunkedBodyOverLimitGets413() async throws {
        try await withGateway(config: #"{"server": {"limits": {"bodyBytes": 1024}}}"#) { (gateway: RunningGateway) async throws in
            let client = try TestClient(port: gateway.port)
            let chunk = String(repeating: "x", count: 600)
            try client.send(Self.head + "Transfer-Encoding: chunked\r\n\r\n258\r\n\(chunk)\r\n258\r\n\(chunk)\r\n0\r\n\r\n")
            let response = try await client.readResponse()
            #expect(response.status == 413)
            #expect(await client.readsEOF())
        }
    }

    @Test func oversizedBodyGetsNo100Continue() async throws {
        try await withGateway(config: "{}") { (gateway: RunningGateway) async throws in
            let client = try TestClient(port: gateway.port)
            try client.send(Self.head + "Content-Length: 2000000\r\nExpect: 100-continue\r\n\r\n")
            let response = try await client.readResponse()
            #expect(response.status == 413)
            #expect(await client.readsEOF())
        }
    }

    @Test func slowHeaderSenderGets408() async throws {
        try await withGateway(config: #"{"server": {"limits": {"headerTimeoutSeconds": 0.3}}}"#) { (gateway: RunningGateway) async throws in
            let client = try TestClient(port: gateway.port)
            let start = ContinuousClock.now
            try client.send("GET /function/hello HTTP/1.1\r\nHo")
            let response = try await client.readResponse()
            #expect(response.status == 408)
            #expect(ContinuousClock.now - start < .seconds(3))
            #expect(await client.readsEOF())
        }
    }

    @Test func smuggledRequestIsNeverServed() async throws {
        // If the gateway honoured Content-Length here, the chunked body would be read as a second request.
        try await withGateway(config: #"{"defaults": {"decorators": [{"type": "logging"}]}}"#) { (gateway: RunningGateway) async throws in
            let client = try TestClient(port: gateway.port)
            try client.send(
                Self.head + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /function/hello HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(try await client.readResponse().status == 400)
            #expect(await client.readsEOF())
            #expect(gateway.logLines.filter { $0["msg"] == "invocation" }.isEmpty)
        }
    }
}
