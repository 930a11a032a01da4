/// Collects the field lines of one request head and applies the rules that depend on several of them:
/// body framing (RFC 9112 section 6), Host (RFC 9112 section 3.2), Connection and Expect.
struct HTTPHeadBuilder {
    private let requestLine: HTTPRequestLine
    private var headers: [(name: String, value: String)] = []
    private var contentLength: Int?
    private var hasTransferEncoding = false
    /// The transfer codings of every Transfer-Encoding field line in order, lowercased.
    private var transferCodings: [TransferCoding] = []
    private var hostCount = 0
    private var connectionClose = false
    private var connectionKeepAlive = false
    private var expectsContinue = false

    private struct TransferCoding {
        var name: String
        var hasParameters: Bool
    }

    init(requestLine: HTTPRequestLine) {
        self.requestLine = requestLine
    }

    /// Records one header field and checks the rules that one field can break on its own.
    mutating func add(_ field: HTTPFieldLine) throws(HTTPParseError) {
        let name = field.name
        let value = field.value
        headers.append((name: String(decoding: name, as: UTF8.self), value: String(decoding: value, as: UTF8.self)))

        if HTTPSyntax.equalsIgnoringCase(name, "content-length") {
            // RFC 9112 section 6.3 lets a recipient accept repeated equal values; a strict server
            // rejects them instead, since proxies disagree about which copy wins.
            if contentLength != nil { throw .duplicateContentLength }
            contentLength = try Self.parseContentLength(value)
        } else if HTTPSyntax.equalsIgnoringCase(name, "transfer-encoding") {
            hasTransferEncoding = true
            try appendTransferCodings(value)
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
        if hasTransferEncoding {
            // RFC 9112 section 6.1: Transfer-Encoding in HTTP/1.0 means faulty framing.
            if requestLine.versionMinor == 0 { throw .transferEncodingInHTTP10 }
            // RFC 9112 section 6.1 lets a server drop Content-Length here; rejecting it closes the
            // classic CL.TE smuggling hole.
            if contentLength != nil { throw .contentLengthWithTransferEncoding }
            try checkTransferCodings()
            framing = .chunked
        } else if let contentLength {
            framing = .contentLength(contentLength)
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

    /// Splits one Transfer-Encoding value into codings: `transfer-coding = token *( OWS ";" OWS
    /// transfer-parameter )` (RFC 9112 section 7). Empty list elements are rejected.
    private mutating func appendTransferCodings(_ value: ArraySlice<UInt8>) throws(HTTPParseError) {
        for element in HTTPSyntax.listElements(value) {
            if element.isEmpty { throw .invalidTransferEncoding("the list has an empty element") }
            var index = element.startIndex
            while index < element.endIndex && HTTPSyntax.isTokenByte(element[index]) { index += 1 }
            if index == element.startIndex { throw .invalidTransferEncoding("a coding is not a token") }
            let rest = HTTPSyntax.trimmingWhitespace(element[index...])
            if !rest.isEmpty && rest.first != HTTPSyntax.semicolon {
                throw .invalidTransferEncoding("a coding is not a token")
            }
            let name = String(decoding: element[element.startIndex..<index], as: UTF8.self).lowercased()
            transferCodings.append(TransferCoding(name: name, hasParameters: !rest.isEmpty))
        }
    }

    /// Accepts exactly one `chunked` as the final coding (RFC 9112 section 6.3: otherwise a request's
    /// body length cannot be determined, which requires 400). With `chunked` last, any other coding in
    /// front of it is one this server does not implement, which gets 501 (RFC 9112 section 6.1).
    private func checkTransferCodings() throws(HTTPParseError) {
        guard let last = transferCodings.last, last.name == "chunked" else { throw .chunkedNotFinal }
        if last.hasParameters { throw .invalidTransferEncoding("chunked takes no parameters") }
        // RFC 9112 section 6.1: a sender must not apply chunked more than once.
        if transferCodings.dropLast().contains(where: { $0.name == "chunked" }) {
            throw .invalidTransferEncoding("chunked is listed more than once")
        }
        if transferCodings.count > 1 { throw .unsupportedTransferCoding }
    }
}
