/// Every error the parser throws. The codes are stable: clients and dashboards may match on them.
extension HTTPParseError {
    // MARK: Line structure (RFC 9112 section 2.2)

    static let bareCR = HTTPParseError(
        status: 400, code: "bare_cr", message: "A CR byte was not followed by LF; lines must end with CRLF.")
    static let bareLF = HTTPParseError(
        status: 400, code: "bare_lf", message: "A line ended with LF alone; lines must end with CRLF.")

    // MARK: Request line (RFC 9112 section 3)

    static func requestLineTooLong(limit: Int) -> HTTPParseError {
        HTTPParseError(
            status: 414, code: "request_line_too_long",
            message: "The request line is longer than the limit of \(limit) bytes.")
    }
    static func invalidRequestLine(_ problem: String) -> HTTPParseError {
        HTTPParseError(status: 400, code: "invalid_request_line", message: "Invalid request line: \(problem).")
    }
    static let invalidMethod = HTTPParseError(
        status: 400, code: "invalid_method", message: "The method contains a byte that is not allowed in a token.")
    static func invalidTarget(_ problem: String) -> HTTPParseError {
        HTTPParseError(status: 400, code: "invalid_target", message: "Invalid request target: \(problem).")
    }
    static let invalidVersion = HTTPParseError(
        status: 400, code: "invalid_version", message: "The HTTP version is not of the form HTTP/1.1.")
    static let unsupportedVersion = HTTPParseError(
        status: 505, code: "unsupported_version", message: "Only HTTP/1.1 and HTTP/1.0 are supported.")

    // MARK: Field lines (RFC 9112 section 5, RFC 9110 section 5)

    static let invalidHeaderName = HTTPParseError(
        status: 400, code: "invalid_header_name",
        message: "A header field name is empty or contains a byte that is not allowed in a token.")
    static let whitespaceBeforeColon = HTTPParseError(
        status: 400, code: "whitespace_before_colon",
        message: "A header field name is followed by whitespace before the colon.")
    static let missingHeaderColon = HTTPParseError(
        status: 400, code: "missing_header_colon", message: "A header field line has no colon.")
    static let obsoleteLineFolding = HTTPParseError(
        status: 400, code: "obsolete_line_folding",
        message: "A header field line starts with whitespace (obsolete line folding is not accepted).")
    static func invalidHeaderValue(name: String) -> HTTPParseError {
        HTTPParseError(
            status: 400, code: "invalid_header_value",
            message: "The value of header field \(name) contains a control byte.")
    }
    static func headerBlockTooLarge(limit: Int) -> HTTPParseError {
        HTTPParseError(
            status: 431, code: "header_block_too_large",
            message: "The header fields are larger than the limit of \(limit) bytes.")
    }
    static func tooManyHeaders(limit: Int) -> HTTPParseError {
        HTTPParseError(
            status: 431, code: "too_many_headers", message: "The request has more than \(limit) header fields.")
    }

    // MARK: Host (RFC 9112 section 3.2)

    static let missingHost = HTTPParseError(
        status: 400, code: "missing_host", message: "An HTTP/1.1 request must have a Host header field.")
    static let duplicateHost = HTTPParseError(
        status: 400, code: "duplicate_host", message: "The request has more than one Host header field.")
    static let invalidHost = HTTPParseError(
        status: 400, code: "invalid_host",
        message: "The Host header field contains a byte that is not allowed in a host and port.")

    // MARK: Framing (RFC 9112 section 6)

    static func invalidContentLength(_ problem: String) -> HTTPParseError {
        HTTPParseError(status: 400, code: "invalid_content_length", message: "Invalid Content-Length: \(problem).")
    }
    static let duplicateContentLength = HTTPParseError(
        status: 400, code: "duplicate_content_length",
        message: "The request has more than one Content-Length header field.")
    static let contentLengthWithTransferEncoding = HTTPParseError(
        status: 400, code: "content_length_with_transfer_encoding",
        message: "The request has both Content-Length and Transfer-Encoding.")
    static let transferEncodingInHTTP10 = HTTPParseError(
        status: 400, code: "transfer_encoding_in_http10",
        message: "Transfer-Encoding is not allowed in an HTTP/1.0 request.")
    static func invalidTransferEncoding(_ problem: String) -> HTTPParseError {
        HTTPParseError(
            status: 400, code: "invalid_transfer_encoding", message: "Invalid Transfer-Encoding: \(problem).")
    }
    static let chunkedNotFinal = HTTPParseError(
        status: 400, code: "chunked_not_final",
        message: "Transfer-Encoding must end with chunked so the body length can be determined.")
    static let unsupportedTransferCoding = HTTPParseError(
        status: 501, code: "unsupported_transfer_coding",
        message: "Transfer-Encoding lists a coding other than chunked; only chunked is supported.")
    static func bodyTooLarge(limit: Int) -> HTTPParseError {
        HTTPParseError(
            status: 413, code: "body_too_large", message: "The body is larger than the limit of \(limit) bytes.")
    }

    // MARK: Chunked coding (RFC 9112 section 7.1)

    static let invalidChunkSize = HTTPParseError(
        status: 400, code: "invalid_chunk_size",
        message: "A chunk size is not a hexadecimal number directly followed by CRLF or a chunk extension.")
    static func chunkSizeTooLarge(maxDigits: Int) -> HTTPParseError {
        HTTPParseError(
            status: 400, code: "chunk_size_too_large",
            message: "A chunk size has more than \(maxDigits) hexadecimal digits.")
    }
    static let invalidChunkExtension = HTTPParseError(
        status: 400, code: "invalid_chunk_extension",
        message: "A chunk extension is not a token, optionally followed by = and a token or quoted string.")
    static func chunkExtensionTooLong(limit: Int) -> HTTPParseError {
        HTTPParseError(
            status: 400, code: "chunk_extension_too_long",
            message: "A chunk extension is longer than the limit of \(limit) bytes.")
    }
    static let missingChunkCRLF = HTTPParseError(
        status: 400, code: "missing_chunk_crlf", message: "Chunk data is not followed by CRLF.")
}
