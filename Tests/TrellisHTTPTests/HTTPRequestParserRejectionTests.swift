import TrellisHTTP
import Testing

/// A hostile or malformed input and the error it must produce.
struct RejectionCase: Sendable, CustomTestStringConvertible {
    var name: String
    var request: String
    var status: Int
    var code: String
    var limits = HTTPParserLimits()

    var testDescription: String { name }
}

private let post = "POST /f HTTP/1.1\r\nHost: example.com\r\n"
private let chunked = post + "Transfer-Encoding: chunked\r\n\r\n"

private func limits(_ change: (inout HTTPParserLimits) -> Void) -> HTTPParserLimits {
    var limits = HTTPParserLimits()
    change(&limits)
    return limits
}

private let rejectionCases: [RejectionCase] = [
    // Request smuggling through framing headers (RFC 9112 section 6).
    RejectionCase(
        name: "CL then TE", request: post + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        status: 400, code: "content_length_with_transfer_encoding"),
    RejectionCase(
        name: "TE then CL", request: post + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
        status: 400, code: "content_length_with_transfer_encoding"),
    RejectionCase(
        name: "duplicate CL equal", request: post + "Content-Length: 1\r\nContent-Length: 1\r\n\r\nx",
        status: 400, code: "duplicate_content_length"),
    RejectionCase(
        name: "duplicate CL different", request: post + "Content-Length: 1\r\ncontent-length: 2\r\n\r\nxy",
        status: 400, code: "duplicate_content_length"),
    RejectionCase(
        name: "CL list value", request: post + "Content-Length: 5, 5\r\n\r\nhello",
        status: 400, code: "invalid_content_length"),
    RejectionCase(
        name: "CL non-digit", request: post + "Content-Length: 1a\r\n\r\nx", status: 400, code: "invalid_content_length"),
    RejectionCase(
        name: "CL negative", request: post + "Content-Length: -1\r\n\r\n", status: 400, code: "invalid_content_length"),
    RejectionCase(
        name: "CL empty", request: post + "Content-Length:\r\n\r\n", status: 400, code: "invalid_content_length"),
    RejectionCase(
        name: "CL overflow", request: post + "Content-Length: 9223372036854775808\r\n\r\n",
        status: 400, code: "invalid_content_length"),
    RejectionCase(
        name: "TE obs-fold", request: post + "Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n",
        status: 400, code: "obsolete_line_folding"),
    RejectionCase(
        name: "TE folded with HTAB", request: post + "X-A: a\r\n\tTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        status: 400, code: "obsolete_line_folding"),
    RejectionCase(
        name: "TE space before colon", request: post + "Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
        status: 400, code: "whitespace_before_colon"),
    RejectionCase(
        name: "TE line after request line starts with space",
        request: "POST /f HTTP/1.1\r\n Transfer-Encoding: chunked\r\nHost: example.com\r\n\r\n0\r\n\r\n",
        status: 400, code: "obsolete_line_folding"),
    RejectionCase(
        name: "TE xchunked", request: post + "Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n",
        status: 400, code: "chunked_not_final"),
    RejectionCase(
        name: "TE chunked then gzip", request: post + "Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n",
        status: 400, code: "chunked_not_final"),
    RejectionCase(
        name: "TE identity", request: post + "Transfer-Encoding: identity\r\n\r\n", status: 400, code: "chunked_not_final"),
    RejectionCase(
        name: "TE chunked twice in two fields",
        request: post + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        status: 400, code: "invalid_transfer_encoding"),
    RejectionCase(
        name: "TE empty", request: post + "Transfer-Encoding:\r\n\r\n", status: 400, code: "invalid_transfer_encoding"),
    RejectionCase(
        name: "TE gzip then chunked", request: post + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
        status: 501, code: "unsupported_transfer_coding"),
    RejectionCase(
        name: "TE in HTTP/1.0", request: "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        status: 400, code: "transfer_encoding_in_http10"),

    // Line structure and bytes (RFC 9112 section 2.2, RFC 9110 section 5.5).
    RejectionCase(
        name: "bare LF ends request line", request: "GET / HTTP/1.1\nHost: a\r\n\r\n", status: 400, code: "bare_lf"),
    RejectionCase(name: "bare LF ends head", request: "GET / HTTP/1.1\r\nHost: a\r\n\n", status: 400, code: "bare_lf"),
    RejectionCase(name: "bare CR in value", request: "GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", status: 400, code: "bare_cr"),
    RejectionCase(
        name: "bare CR in chunk size line", request: chunked + "1\r\rx\r\n0\r\n\r\n", status: 400, code: "bare_cr"),
    RejectionCase(
        name: "NUL in value", request: "GET / HTTP/1.1\r\nHost: a\r\nX-A: a\u{0}b\r\n\r\n",
        status: 400, code: "invalid_header_value"),
    RejectionCase(
        name: "DEL in value", request: "GET / HTTP/1.1\r\nHost: a\r\nX-A: \u{7F}\r\n\r\n",
        status: 400, code: "invalid_header_value"),
    RejectionCase(
        name: "whitespace before colon", request: "GET / HTTP/1.1\r\nHost\t: a\r\n\r\n",
        status: 400, code: "whitespace_before_colon"),
    RejectionCase(
        name: "separator in header name", request: "GET / HTTP/1.1\r\nHost: a\r\nX(Y): v\r\n\r\n",
        status: 400, code: "invalid_header_name"),
    RejectionCase(
        name: "empty header name", request: "GET / HTTP/1.1\r\nHost: a\r\n: v\r\n\r\n",
        status: 400, code: "invalid_header_name"),
    RejectionCase(
        name: "header without colon", request: "GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n",
        status: 400, code: "missing_header_colon"),

    // Request line (RFC 9112 section 3).
    RejectionCase(name: "method with separator", request: "GE@T / HTTP/1.1\r\nHost: a\r\n\r\n", status: 400, code: "invalid_method"),
    RejectionCase(name: "leading space", request: " GET / HTTP/1.1\r\nHost: a\r\n\r\n", status: 400, code: "invalid_method"),
    RejectionCase(
        name: "two spaces after method", request: "GET  / HTTP/1.1\r\nHost: a\r\n\r\n",
        status: 400, code: "invalid_request_line"),
    RejectionCase(
        name: "two spaces before version", request: "GET /  HTTP/1.1\r\nHost: a\r\n\r\n", status: 400, code: "invalid_version"),
    RejectionCase(name: "method only", request: "GET\r\nHost: a\r\n\r\n", status: 400, code: "invalid_request_line"),
    RejectionCase(name: "no version", request: "GET /\r\nHost: a\r\n\r\n", status: 400, code: "invalid_request_line"),
    RejectionCase(name: "HTTP/2.0", request: "GET / HTTP/2.0\r\nHost: a\r\n\r\n", status: 505, code: "unsupported_version"),
    RejectionCase(name: "HTTP/1.2", request: "GET / HTTP/1.2\r\nHost: a\r\n\r\n", status: 505, code: "unsupported_version"),
    RejectionCase(name: "HTTP/1.10", request: "GET / HTTP/1.10\r\nHost: a\r\n\r\n", status: 400, code: "invalid_version"),
    RejectionCase(name: "lowercase version", request: "GET / http/1.1\r\nHost: a\r\n\r\n", status: 400, code: "invalid_version"),
    RejectionCase(name: "garbage version", request: "GET / FTP/1.1\r\nHost: a\r\n\r\n", status: 400, code: "invalid_version"),
    RejectionCase(
        name: "control byte in target", request: "GET /a\u{1}b HTTP/1.1\r\nHost: a\r\n\r\n", status: 400, code: "invalid_target"),
    RejectionCase(
        name: "HTAB in target", request: "GET /a\tb HTTP/1.1\r\nHost: a\r\n\r\n", status: 400, code: "invalid_target"),
    RejectionCase(
        name: "non-ASCII in target", request: "GET /caf\u{E9} HTTP/1.1\r\nHost: a\r\n\r\n", status: 400, code: "invalid_target"),
    RejectionCase(
        name: "DEL in target", request: "GET /\u{7F} HTTP/1.1\r\nHost: a\r\n\r\n", status: 400, code: "invalid_target"),
    RejectionCase(name: "asterisk with GET", request: "GET * HTTP/1.1\r\nHost: a\r\n\r\n", status: 400, code: "invalid_target"),
    RejectionCase(
        name: "authority-form target", request: "CONNECT a.example:443 HTTP/1.1\r\nHost: a\r\n\r\n",
        status: 400, code: "invalid_target"),

    // Host (RFC 9112 section 3.2).
    RejectionCase(name: "missing Host", request: "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", status: 400, code: "missing_host"),
    RejectionCase(name: "double Host", request: "GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", status: 400, code: "duplicate_host"),
    RejectionCase(
        name: "double Host in HTTP/1.0", request: "GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n",
        status: 400, code: "duplicate_host"),
    RejectionCase(name: "Host with slash", request: "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", status: 400, code: "invalid_host"),

    // Chunked coding (RFC 9112 section 7.1).
    RejectionCase(name: "chunk size not hex", request: chunked + "g\r\nx\r\n0\r\n\r\n", status: 400, code: "invalid_chunk_size"),
    RejectionCase(name: "chunk size empty", request: chunked + "\r\nx\r\n0\r\n\r\n", status: 400, code: "invalid_chunk_size"),
    RejectionCase(name: "chunk size signed", request: chunked + "+1\r\nx\r\n0\r\n\r\n", status: 400, code: "invalid_chunk_size"),
    RejectionCase(name: "chunk size 0x", request: chunked + "0x1\r\nx\r\n0\r\n\r\n", status: 400, code: "invalid_chunk_size"),
    RejectionCase(
        name: "chunk size then space", request: chunked + "1 ;a\r\nx\r\n0\r\n\r\n", status: 400, code: "invalid_chunk_size"),
    RejectionCase(
        name: "chunk size 16 digits", request: chunked + "1000000000000000\r\n", status: 400, code: "chunk_size_too_large"),
    RejectionCase(
        name: "chunk size beyond Int", request: chunked + "FFFFFFFFFFFFFFFFFFFFFFFF\r\n", status: 400, code: "chunk_size_too_large"),
    RejectionCase(
        name: "chunk extension too long", request: chunked + "1;" + String(repeating: "e", count: 257) + "\r\nx\r\n0\r\n\r\n",
        status: 400, code: "chunk_extension_too_long"),
    RejectionCase(
        name: "chunk extension without name", request: chunked + "1;=v\r\nx\r\n0\r\n\r\n",
        status: 400, code: "invalid_chunk_extension"),
    RejectionCase(
        name: "chunk extension with space", request: chunked + "1;a = b\r\nx\r\n0\r\n\r\n",
        status: 400, code: "invalid_chunk_extension"),
    RejectionCase(
        name: "chunk extension open quote", request: chunked + "1;a=\"b\r\nx\r\n0\r\n\r\n",
        status: 400, code: "invalid_chunk_extension"),
    RejectionCase(
        name: "chunk extension empty value", request: chunked + "1;a=\r\nx\r\n0\r\n\r\n",
        status: 400, code: "invalid_chunk_extension"),
    RejectionCase(
        name: "chunk data without CRLF", request: chunked + "1\r\nxy\r\n0\r\n\r\n", status: 400, code: "missing_chunk_crlf"),
    RejectionCase(
        name: "chunk data with bare LF", request: chunked + "1\r\nx\n0\r\n\r\n", status: 400, code: "missing_chunk_crlf"),
    RejectionCase(
        name: "trailer with NUL", request: chunked + "0\r\nX-T: \u{0}\r\n\r\n", status: 400, code: "invalid_header_value"),
    RejectionCase(
        name: "trailer folded", request: chunked + "0\r\nX-T: a\r\n b\r\n\r\n", status: 400, code: "obsolete_line_folding"),

    // Limits.
    RejectionCase(
        name: "request line over limit", request: "GET /" + String(repeating: "a", count: 30) + " HTTP/1.1\r\nHost: a\r\n\r\n",
        status: 414, code: "request_line_too_long", limits: limits { $0.requestLineBytes = 32 }),
    RejectionCase(
        name: "header block over limit", request: "GET / HTTP/1.1\r\nHost: a\r\nX-A: " + String(repeating: "v", count: 56) + "\r\n\r\n",
        status: 431, code: "header_block_too_large", limits: limits { $0.headerBytes = 64 }),
    RejectionCase(
        name: "too many headers", request: "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n",
        status: 431, code: "too_many_headers", limits: limits { $0.headerCount = 2 }),
    RejectionCase(
        name: "body over limit", request: post + "Content-Length: 5\r\n\r\nhello",
        status: 413, code: "body_too_large", limits: limits { $0.bodyBytes = 4 }),
    RejectionCase(
        name: "chunked body over limit", request: chunked + "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
        status: 413, code: "body_too_large", limits: limits { $0.bodyBytes = 4 }),
]

@Suite struct HTTPRequestParserRejectionTests {
    @Test(arguments: rejectionCases)
    func rejectedWhole(_ testCase: RejectionCase) {
        let outcome = parseRequests(bytes(testCase.request), limits: testCase.limits)
        #expect(outcome.error?.status == testCase.status)
        #expect(outcome.error?.code == testCase.code)
        #expect(outcome.requests.isEmpty)
    }

    @Test(arguments: rejectionCases)
    func rejectedByteAtATime(_ testCase: RejectionCase) {
        let outcome = parseRequests(bytes(testCase.request), limits: testCase.limits, pieceSize: 1)
        #expect(outcome.error?.status == testCase.status)
        #expect(outcome.error?.code == testCase.code)
    }
}
