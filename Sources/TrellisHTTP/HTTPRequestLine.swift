/// A parsed request line: `method SP request-target SP HTTP-version` (RFC 9112 section 3).
struct HTTPRequestLine {
    var method: String
    var target: String
    var versionMinor: Int

    init(method: String, target: String, versionMinor: Int) {
        self.method = method
        self.target = target
        self.versionMinor = versionMinor
    }

    /// Parses one request line without its CRLF.
    ///
    /// Separators must be exactly one SP each: RFC 9112 section 3 allows a server to accept other
    /// whitespace, but lenient splitting is what request smuggling between proxies relies on.
    init(parsing line: UnsafeBufferPointer<UInt8>) throws(HTTPParseError) {
        let end = line.count

        // Method: 1*tchar (RFC 9110 section 9.1).
        var index = HTTPSyntax.endOfToken(in: line, from: 0)
        if index == 0 { throw .invalidMethod }
        if index == end { throw .invalidRequestLine("missing target and version") }
        if line[index] != HTTPSyntax.space { throw .invalidMethod }
        let methodBytes = UnsafeBufferPointer(rebasing: line[0..<index])

        // Target: visible ASCII up to the next SP.
        let targetStart = index + 1
        index = HTTPSyntax.endOfTarget(in: line, from: targetStart)
        if index == targetStart {
            throw .invalidRequestLine("the target is empty or preceded by more than one space")
        }
        if index == end { throw .invalidRequestLine("missing HTTP version") }
        if line[index] != HTTPSyntax.space {
            throw .invalidTarget("it contains a control byte, whitespace or a byte above 0x7E")
        }
        let targetBytes = UnsafeBufferPointer(rebasing: line[targetStart..<index])

        // Version: exactly `HTTP/` DIGIT `.` DIGIT (RFC 9112 section 2.3).
        versionMinor = try Self.parseVersion(UnsafeBufferPointer(rebasing: line[(index + 1)..<end]))

        method = Self.methodString(methodBytes)
        try Self.checkTargetForm(targetBytes, method: methodBytes)
        target = HTTPSyntax.string(targetBytes, ascii: true)
    }

    /// The method as a String: a literal for the methods of RFC 9110 section 9 and PATCH, so the common
    /// ones cost no copy, else a new string of the bytes (a token, so ASCII).
    private static func methodString(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        @inline(__always) func matches(_ method: StaticString) -> Bool { HTTPSyntax.equals(bytes, method) }
        switch bytes.count {
        case 3:
            if matches("GET") { return "GET" }
            if matches("PUT") { return "PUT" }
        case 4:
            if matches("POST") { return "POST" }
            if matches("HEAD") { return "HEAD" }
        case 5:
            if matches("PATCH") { return "PATCH" }
            if matches("TRACE") { return "TRACE" }
        case 6:
            if matches("DELETE") { return "DELETE" }
        case 7:
            if matches("OPTIONS") { return "OPTIONS" }
            if matches("CONNECT") { return "CONNECT" }
        default:
            break
        }
        return HTTPSyntax.string(bytes, ascii: true)
    }

    /// Returns the minor version of `HTTP/1.0` or `HTTP/1.1`. Throws 505 for another well-formed
    /// version and 400 for anything else.
    private static func parseVersion(_ bytes: UnsafeBufferPointer<UInt8>) throws(HTTPParseError) -> Int {
        guard bytes.count == 8, let base = bytes.baseAddress else { throw .invalidVersion }
        // The common case first: the 8 bytes compared as one word.
        let word = HTTPSyntax.loadWord(UnsafeRawPointer(base), 0)
        if word == Self.http11 { return 1 }
        if word == Self.http10 { return 0 }
        guard bytes.prefix(5).elementsEqual("HTTP/".utf8) else { throw .invalidVersion }
        let major = bytes[5]
        let dot = bytes[6]
        let minor = bytes[7]
        guard HTTPSyntax.isDigit(major), dot == UInt8(ascii: "."), HTTPSyntax.isDigit(minor) else {
            throw .invalidVersion
        }
        guard major == UInt8(ascii: "1"), minor == UInt8(ascii: "0") || minor == UInt8(ascii: "1") else {
            throw .unsupportedVersion
        }
        return Int(minor - UInt8(ascii: "0"))
    }

    /// `HTTP/1.1` and `HTTP/1.0` as `HTTPSyntax.loadWord` reads them: the first byte in the lowest bits.
    /// Literals, so that no lazy initialization runs per request; HTTPSyntaxTests checks them.
    static let http11: UInt64 = 0x312E_312F_5054_5448
    static let http10: UInt64 = 0x302E_312F_5054_5448

    /// Accepts the target forms a gateway serves (RFC 9112 section 3.2): origin-form (`/path?query`),
    /// absolute-form (`scheme://...`, kept as sent) and asterisk-form (`*`, only with OPTIONS), none
    /// with a fragment.
    /// Authority-form (`host:port`) is rejected because it belongs to CONNECT, which is not supported.
    private static func checkTargetForm(
        _ target: UnsafeBufferPointer<UInt8>, method: UnsafeBufferPointer<UInt8>
    ) throws(HTTPParseError) {
        // No form of RFC 9112 section 3.2 has a fragment: a client keeps `#...` to itself (RFC 3986
        // section 3.5). Accepting it would hand `name#frag` to the router as a function name.
        if target.contains(UInt8(ascii: "#")) {
            throw .invalidTarget("it contains a fragment (#), which a client must not send")
        }
        let first = target[0]
        if first == UInt8(ascii: "/") { return }

        if target.count == 1 && first == UInt8(ascii: "*") {
            guard method.elementsEqual("OPTIONS".utf8) else {
                throw .invalidTarget("the asterisk-form target is allowed only with OPTIONS")
            }
            return
        }

        // absolute-form: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) (RFC 3986 section 3.1),
        // then "://". Requiring the "//" keeps `host:port` (authority-form) out.
        var index = 0
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
