/// The name and value of one field line, as byte ranges of the parser's buffer (RFC 9112 section 5).
/// The pointers are valid only while the buffer is, inside the parser's `withUnsafeBufferPointer`.
struct HTTPFieldLine {
    var name: UnsafeBufferPointer<UInt8>
    /// The value without leading and trailing SP and HTAB.
    var value: UnsafeBufferPointer<UInt8>
    /// True when every byte of the value is ASCII (no obs-text).
    var valueIsASCII: Bool

    /// Parses `field-name ":" OWS field-value OWS` from one line without its CRLF.
    init(parsing line: UnsafeBufferPointer<UInt8>) throws(HTTPParseError) {
        let end = line.count

        // A line that starts with whitespace is obs-fold after a field line, or whitespace between
        // the request line and the first field. RFC 9112 sections 5.2 and 2.2 allow rejecting both.
        if HTTPSyntax.isWhitespace(line[0]) { throw .obsoleteLineFolding }

        let index = HTTPSyntax.endOfToken(in: line, from: 0)
        if index == 0 { throw .invalidHeaderName }
        if index == end { throw .missingHeaderColon }
        if line[index] != HTTPSyntax.colon {
            // RFC 9112 section 5.1: whitespace between name and colon must be rejected with 400.
            guard HTTPSyntax.isWhitespace(line[index]) else { throw .invalidHeaderName }
            var afterWhitespace = index
            while afterWhitespace < end && HTTPSyntax.isWhitespace(line[afterWhitespace]) { afterWhitespace += 1 }
            if afterWhitespace < end && line[afterWhitespace] == HTTPSyntax.colon { throw .whitespaceBeforeColon }
            throw .invalidHeaderName
        }
        name = UnsafeBufferPointer(rebasing: line[0..<index])
        value = HTTPSyntax.trimmingWhitespace(UnsafeBufferPointer(rebasing: line[(index + 1)..<end]))

        guard let ascii = HTTPSyntax.checkFieldValue(value) else {
            throw .invalidHeaderValue(name: String(decoding: name, as: UTF8.self))
        }
        valueIsASCII = ascii
    }
}
