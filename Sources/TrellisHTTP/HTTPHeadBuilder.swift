/// Collects the field lines of one request head and applies the rules that depend on several of them:
/// body framing (RFC 9112 section 6), Host (RFC 9112 section 3.2), Connection and Expect.
struct HTTPHeadBuilder {
    private let requestLine: HTTPRequestLine
    private var headers: [(name: String, value: String)] = []
    /// True once a Content-Length line arrived, valid or not.
    private var hasContentLength = false
    /// The Content-Length value, parsed when its line arrives.
    private var contentLength = 0
    /// Why the Content-Length value is invalid. It is thrown only in `finish`, after every line of the
    /// section has passed the field-line rules, so that a folded `Transfer-Encoding:` line is reported
    /// as obs-fold and not as an empty value.
    private var contentLengthProblem: String?
    /// The values of every Transfer-Encoding field line in order, copied out of the parser's buffer.
    private var transferEncodingValues: [[UInt8]] = []
    private var hostCount = 0
    private var connectionClose = false
    private var connectionKeepAlive = false
    private var expectsContinue = false
    /// The index in `headers` of the first X-Request-Id field.
    private var requestIDIndex: Int?

    /// `expectedFieldCount` is reserved in the field array, so that it grows at most once in the
    /// common case.
    init(requestLine: HTTPRequestLine, expectedFieldCount: Int) {
        self.requestLine = requestLine
        headers.reserveCapacity(expectedFieldCount)
    }

    /// A builder for no request, which holds no storage; the parser keeps one between requests.
    init() {
        requestLine = HTTPRequestLine(method: "", target: "", versionMinor: 1)
    }

    /// The number of header fields added so far.
    var fieldCount: Int { headers.count }

    /// Records one header field and checks the rules that one field can break on its own.
    mutating func add(_ field: HTTPFieldLine) throws(HTTPParseError) {
        let name = field.name
        let value = field.value
        headers.append((name: HTTPSyntax.fieldName(name), value: HTTPSyntax.string(value, ascii: field.valueIsASCII)))

        // The names this builder acts on differ in length, so the length picks the one to compare.
        switch name.count {
        case 14 where HTTPSyntax.equalsIgnoringCase(name, "content-length"):
            // RFC 9112 section 6.3 lets a recipient accept repeated equal values, but a strict server
            // rejects them, because proxies disagree about which copy wins.
            if hasContentLength { throw .duplicateContentLength }
            hasContentLength = true
            (contentLength, contentLengthProblem) = Self.parseContentLength(value)
        case 17 where HTTPSyntax.equalsIgnoringCase(name, "transfer-encoding"):
            transferEncodingValues.append(Array(value))
        case 4 where HTTPSyntax.equalsIgnoringCase(name, "host"):
            hostCount += 1
            if hostCount > 1 { throw .duplicateHost }
            try Self.checkHost(value)
        case 10 where HTTPSyntax.equalsIgnoringCase(name, "connection"):
            // The comma-separated options (RFC 9110 section 5.6.1), each without OWS.
            var start = 0
            while true {
                var end = start
                while end < value.count && value[end] != HTTPSyntax.comma { end += 1 }
                let option = HTTPSyntax.trimmingWhitespace(UnsafeBufferPointer(rebasing: value[start..<end]))
                if HTTPSyntax.equalsIgnoringCase(option, "close") { connectionClose = true }
                if HTTPSyntax.equalsIgnoringCase(option, "keep-alive") { connectionKeepAlive = true }
                if end == value.count { break }
                start = end + 1
            }
        case 6 where HTTPSyntax.equalsIgnoringCase(name, "expect"):
            if HTTPSyntax.equalsIgnoringCase(value, "100-continue") { expectsContinue = true }
        case 12 where requestIDIndex == nil && HTTPSyntax.equalsIgnoringCase(name, "x-request-id"):
            requestIDIndex = headers.count - 1
        default:
            break
        }
    }

    /// Applies the rules that need the whole field section and returns the head.
    ///
    /// The checks run in a fixed order so one request always gets the same error: framing conflicts
    /// first, then Host, then the body size limit, so that a 413 is only sent for a request that is
    /// otherwise well-formed.
    func finish(limits: HTTPParserLimits) throws(HTTPParseError) -> HTTPRequestHead {
        var framing = HTTPBodyFraming.none
        var length: Int?
        if !transferEncodingValues.isEmpty {
            // RFC 9112 section 6.1: Transfer-Encoding in HTTP/1.0 means faulty framing.
            if requestLine.versionMinor == 0 { throw .transferEncodingInHTTP10 }
            // RFC 9112 section 6.1 lets a server drop Content-Length here. Rejecting the request instead
            // closes the classic CL.TE smuggling hole.
            if hasContentLength { throw .contentLengthWithTransferEncoding }
            try Self.checkTransferCodings(transferEncodingValues)
            framing = .chunked
        } else if hasContentLength {
            if let contentLengthProblem { throw .invalidContentLength(contentLengthProblem) }
            length = contentLength
            framing = .contentLength(contentLength)
        }

        if requestLine.versionMinor == 1 && hostCount == 0 { throw .missingHost }

        if let length, length > limits.bodyBytes { throw .bodyTooLarge(limit: limits.bodyBytes) }

        let keepAlive = requestLine.versionMinor == 1 ? !connectionClose : connectionKeepAlive && !connectionClose
        return HTTPRequestHead(
            method: requestLine.method, target: requestLine.target, versionMinor: requestLine.versionMinor,
            headers: headers, framing: framing, keepAlive: keepAlive, expectsContinue: expectsContinue,
            requestIDIndex: requestIDIndex)
    }

    /// Parses `1*DIGIT` (RFC 9112 section 6.2) and returns the value, or 0 and the problem for
    /// `HTTPParseError.invalidContentLength`. Lists such as `5, 5`, signs, whitespace and values beyond
    /// `Int.max` are rejected.
    private static func parseContentLength(_ value: UnsafeBufferPointer<UInt8>) -> (Int, problem: String?) {
        if value.isEmpty { return (0, "the value is empty") }
        if value.contains(HTTPSyntax.comma) { return (0, "the value is a list, not one number") }
        var result = 0
        for byte in value {
            guard HTTPSyntax.isDigit(byte) else { return (0, "the value is not a decimal number") }
            let (shifted, overflowShift) = result.multipliedReportingOverflow(by: 10)
            let (sum, overflowAdd) = shifted.addingReportingOverflow(Int(byte - UInt8(ascii: "0")))
            if overflowShift || overflowAdd { return (0, "the value is too large to represent") }
            result = sum
        }
        return (result, nil)
    }

    /// Checks the Host value against the bytes of `uri-host [":" port]` (RFC 3986 section 3.2):
    /// unreserved, percent-encoded, sub-delims, ":" and the brackets of an IP literal. An empty value
    /// is allowed (RFC 9110 section 7.2).
    private static func checkHost(_ value: UnsafeBufferPointer<UInt8>) throws(HTTPParseError) {
        for byte in value where !HTTPSyntax.isHostByte(byte) { throw .invalidHost }
    }

    /// Accepts exactly one `chunked` as the final coding of the list that all Transfer-Encoding lines
    /// form together (RFC 9110 section 5.3). Each element is `token *( OWS ";" OWS transfer-parameter )`
    /// (RFC 9112 section 7), and empty elements are rejected.
    ///
    /// A list that does not end in `chunked` gets 400, because RFC 9112 section 6.3 states that a request's body
    /// length cannot be determined then. With `chunked` last, any other coding in front of it is one
    /// this server does not implement, which gets 501 (RFC 9112 section 6.1).
    private static func checkTransferCodings(_ values: [[UInt8]]) throws(HTTPParseError) {
        var codings: [(name: ArraySlice<UInt8>, hasParameters: Bool)] = []
        for value in values {
            for element in HTTPSyntax.listElements(value[...]) {
                if element.isEmpty { throw .invalidTransferEncoding("the list has an empty element") }
                var index = element.startIndex
                while index < element.endIndex && HTTPSyntax.isTokenByte(element[index]) { index += 1 }
                if index == element.startIndex { throw .invalidTransferEncoding("a coding is not a token") }
                let rest = HTTPSyntax.trimmingWhitespace(element[index...])
                if !rest.isEmpty && rest.first != HTTPSyntax.semicolon {
                    throw .invalidTransferEncoding("a coding is not a token")
                }
                codings.append((name: element[element.startIndex..<index], hasParameters: !rest.isEmpty))
            }
        }

        guard let last = codings.last, HTTPSyntax.equalsIgnoringCase(last.name, "chunked") else {
            throw .chunkedNotFinal
        }
        if last.hasParameters { throw .invalidTransferEncoding("chunked takes no parameters") }
        // RFC 9112 section 6.1: a sender must not apply chunked more than once.
        if codings.dropLast().contains(where: { HTTPSyntax.equalsIgnoringCase($0.name, "chunked") }) {
            throw .invalidTransferEncoding("chunked is listed more than once")
        }
        if codings.count > 1 { throw .unsupportedTransferCoding }
    }
}
