/// Collects the field lines of one request head and applies the rules that depend on several of them:
/// body framing (RFC 9112 section 6), Host (RFC 9112 section 3.2), Connection and Expect.
struct HTTPHeadBuilder {
    private let requestLine: HTTPRequestLine
    private var headers: [(name: String, value: String)] = []
    /// The Content-Length value. Values are copied out of the parser's buffer and checked in
    /// `finish`, after every line of the section has passed the field-line rules, so that a folded
    /// `Transfer-Encoding:` line is reported as obs-fold and not as an empty value.
    private var contentLengthValue: [UInt8]?
    /// The values of every Transfer-Encoding field line in order.
    private var transferEncodingValues: [[UInt8]] = []
    private var hostCount = 0
    private var connectionClose = false
    private var connectionKeepAlive = false
    private var expectsContinue = false

    init(requestLine: HTTPRequestLine) {
        self.requestLine = requestLine
    }

    /// Records one header field and checks the rules that one field can break on its own.
    mutating func add(_ field: HTTPFieldLine) throws(HTTPParseError) {
        let name = field.name
        let value = field.value
        headers.append((name: String(decoding: name, as: UTF8.self), value: String(decoding: value, as: UTF8.self)))

        if HTTPSyntax.equalsIgnoringCase(name, "content-length") {
            // RFC 9112 section 6.3 lets a recipient accept repeated equal values, but a strict server
            // rejects them, because proxies disagree about which copy wins.
            if contentLengthValue != nil { throw .duplicateContentLength }
            contentLengthValue = Array(value)
        } else if HTTPSyntax.equalsIgnoringCase(name, "transfer-encoding") {
            transferEncodingValues.append(Array(value))
        } else if HTTPSyntax.equalsIgnoringCase(name, "host") {
            hostCount += 1
            if hostCount > 1 { throw .duplicateHost }
            try Self.checkHost(value)
        } else if HTTPSyntax.equalsIgnoringCase(name, "connection") {
            for option in HTTPSyntax.listElements(value) {
                if HTTPSyntax.equalsIgnoringCase(option, "close") { connectionClose = true }
                if HTTPSyntax.equalsIgnoringCase(option, "keep-alive") { connectionKeepAlive = true }
            }
        } else if HTTPSyntax.equalsIgnoringCase(name, "expect") {
            if HTTPSyntax.equalsIgnoringCase(value, "100-continue") { expectsContinue = true }
        }
    }

    /// Applies the rules that need the whole field section and returns the head.
    ///
    /// The checks run in a fixed order so one request always gets the same error: framing conflicts
    /// first, then Host, then the body size limit, so that a 413 is only sent for a request that is
    /// otherwise well-formed.
    func finish(limits: HTTPParserLimits) throws(HTTPParseError) -> HTTPRequestHead {
        var framing = HTTPBodyFraming.none
        var contentLength: Int?
        if !transferEncodingValues.isEmpty {
            // RFC 9112 section 6.1: Transfer-Encoding in HTTP/1.0 means faulty framing.
            if requestLine.versionMinor == 0 { throw .transferEncodingInHTTP10 }
            // RFC 9112 section 6.1 lets a server drop Content-Length here. Rejecting the request instead
            // closes the classic CL.TE smuggling hole.
            if contentLengthValue != nil { throw .contentLengthWithTransferEncoding }
            try Self.checkTransferCodings(transferEncodingValues)
            framing = .chunked
        } else if let contentLengthValue {
            let length = try Self.parseContentLength(contentLengthValue[...])
            contentLength = length
            framing = .contentLength(length)
        }

        if requestLine.versionMinor == 1 && hostCount == 0 { throw .missingHost }

        if let contentLength, contentLength > limits.bodyBytes { throw .bodyTooLarge(limit: limits.bodyBytes) }

        let keepAlive = requestLine.versionMinor == 1 ? !connectionClose : connectionKeepAlive && !connectionClose
        return HTTPRequestHead(
            method: requestLine.method, target: requestLine.target, versionMinor: requestLine.versionMinor,
            headers: headers, framing: framing, keepAlive: keepAlive, expectsContinue: expectsContinue)
    }

    /// Parses `1*DIGIT` (RFC 9112 section 6.2). Lists such as `5, 5`, signs, whitespace and values
    /// beyond `Int.max` are rejected.
    private static func parseContentLength(_ value: ArraySlice<UInt8>) throws(HTTPParseError) -> Int {
        if value.isEmpty { throw .invalidContentLength("the value is empty") }
        if value.contains(HTTPSyntax.comma) { throw .invalidContentLength("the value is a list, not one number") }
        var result = 0
        for byte in value {
            guard HTTPSyntax.isDigit(byte) else { throw .invalidContentLength("the value is not a decimal number") }
            let (shifted, overflowShift) = result.multipliedReportingOverflow(by: 10)
            let (sum, overflowAdd) = shifted.addingReportingOverflow(Int(byte - UInt8(ascii: "0")))
            if overflowShift || overflowAdd { throw .invalidContentLength("the value is too large to represent") }
            result = sum
        }
        return result
    }

    /// Checks the Host value against the bytes of `uri-host [":" port]` (RFC 3986 section 3.2):
    /// unreserved, percent-encoded, sub-delims, ":" and the brackets of an IP literal. An empty value
    /// is allowed (RFC 9110 section 7.2).
    private static func checkHost(_ value: ArraySlice<UInt8>) throws(HTTPParseError) {
        for byte in value {
            switch byte {
            case _ where HTTPSyntax.isAlpha(byte) || HTTPSyntax.isDigit(byte): continue
            case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "%"),
                UInt8(ascii: "!"), UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "("),
                UInt8(ascii: ")"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: ","), UInt8(ascii: ";"),
                UInt8(ascii: "="), UInt8(ascii: ":"), UInt8(ascii: "["), UInt8(ascii: "]"):
                continue
            default:
                throw .invalidHost
            }
        }
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
