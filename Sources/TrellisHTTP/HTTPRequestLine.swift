/// A parsed request line: `method SP request-target SP HTTP-version` (RFC 9112 section 3).
struct HTTPRequestLine {
    var method: String
    var target: String
    var versionMinor: Int

    /// Parses one request line without its CRLF.
    ///
    /// Separators must be exactly one SP each: RFC 9112 section 3 allows a server to accept other
    /// whitespace, but lenient splitting is what request smuggling between proxies relies on.
    init(parsing line: ArraySlice<UInt8>) throws(HTTPParseError) {
        let end = line.endIndex

        // Method: 1*tchar (RFC 9110 section 9.1).
        var index = line.startIndex
        while index < end && HTTPSyntax.isTokenByte(line[index]) { index += 1 }
        if index == line.startIndex { throw .invalidMethod }
        if index == end { throw .invalidRequestLine("missing target and version") }
        if line[index] != HTTPSyntax.space { throw .invalidMethod }
        let methodBytes = line[line.startIndex..<index]

        // Target: visible ASCII up to the next SP.
        let targetStart = index + 1
        index = targetStart
        while index < end && HTTPSyntax.isTargetByte(line[index]) { index += 1 }
        if index == targetStart {
            throw .invalidRequestLine("the target is empty or preceded by more than one space")
        }
        if index == end { throw .invalidRequestLine("missing HTTP version") }
        if line[index] != HTTPSyntax.space {
            throw .invalidTarget("it contains a control byte, whitespace or a byte above 0x7E")
        }
        let targetBytes = line[targetStart..<index]

        // Version: exactly `HTTP/` DIGIT `.` DIGIT (RFC 9112 section 2.3).
        versionMinor = try Self.parseVersion(line[(index + 1)..<end])

        method = String(decoding: methodBytes, as: UTF8.self)
        try Self.checkTargetForm(targetBytes, method: methodBytes)
        target = String(decoding: targetBytes, as: UTF8.self)
    }

    /// Returns the minor version of `HTTP/1.0` or `HTTP/1.1`. Throws 505 for another well-formed
    /// version and 400 for anything else.
    private static func parseVersion(_ bytes: ArraySlice<UInt8>) throws(HTTPParseError) -> Int {
        guard bytes.count == 8, bytes.prefix(5).elementsEqual("HTTP/".utf8) else { throw .invalidVersion }
        let start = bytes.startIndex
        let major = bytes[start + 5]
        let dot = bytes[start + 6]
        let minor = bytes[start + 7]
        guard HTTPSyntax.isDigit(major), dot == UInt8(ascii: "."), HTTPSyntax.isDigit(minor) else {
            throw .invalidVersion
        }
        guard major == UInt8(ascii: "1"), minor == UInt8(ascii: "0") || minor == UInt8(ascii: "1") else {
            throw .unsupportedVersion
        }
        return Int(minor - UInt8(ascii: "0"))
    }

    /// Accepts the target forms a gateway serves (RFC 9112 section 3.2): origin-form (`/path?query`),
    /// absolute-form (`scheme://...`, kept as sent) and asterisk-form (`*`, only with OPTIONS).
    /// Authority-form (`host:port`) is rejected because it belongs to CONNECT, which is not supported.
    private static func checkTargetForm(
        _ target: ArraySlice<UInt8>, method: ArraySlice<UInt8>
    ) throws(HTTPParseError) {
        let first = target[target.startIndex]
        if first == UInt8(ascii: "/") { return }

        if target.count == 1 && first == UInt8(ascii: "*") {
            guard method.elementsEqual("OPTIONS".utf8) else {
                throw .invalidTarget("the asterisk-form target is allowed only with OPTIONS")
            }
            return
        }

        // absolute-form: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) (RFC 3986 section 3.1),
        // then "://". Requiring the "//" keeps `host:port` (authority-form) out.
        var index = target.startIndex
        guard HTTPSyntax.isAlpha(target[index]) else {
            throw .invalidTarget("it is not an absolute path, an absolute URI or an asterisk")
        }
        while index < target.endIndex {
            let byte = target[index]
            let isSchemeByte = HTTPSyntax.isAlpha(byte) || HTTPSyntax.isDigit(byte)
                || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
            if !isSchemeByte { break }
            index += 1
        }
        guard target[index...].starts(with: "://".utf8) else {
            throw .invalidTarget("it is not an absolute path, an absolute URI or an asterisk")
        }
    }
}
