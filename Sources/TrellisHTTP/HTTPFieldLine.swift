/// The name and value of one field line, as byte ranges of the parser's buffer (RFC 9112 section 5).
struct HTTPFieldLine {
    var name: ArraySlice<UInt8>
    /// The value without leading and trailing SP and HTAB.
    var value: ArraySlice<UInt8>

    /// Parses `field-name ":" OWS field-value OWS` from one line without its CRLF.
    init(parsing line: ArraySlice<UInt8>) throws(HTTPParseError) {
        let end = line.endIndex

        // A line that starts with whitespace is obs-fold after a field line, or whitespace between
        // the request line and the first field. RFC 9112 sections 5.2 and 2.2 allow rejecting both.
        if HTTPSyntax.isWhitespace(line[line.startIndex]) { throw .obsoleteLineFolding }

        var index = line.startIndex
        while index < end && HTTPSyntax.isTokenByte(line[index]) { index += 1 }
        if index == line.startIndex { throw .invalidHeaderName }
        if index == end { throw .missingHeaderColon }
        if line[index] != HTTPSyntax.colon {
            // RFC 9112 section 5.1: whitespace between name and colon must be rejected with 400.
            guard HTTPSyntax.isWhitespace(line[index]) else { throw .invalidHeaderName }
            var afterWhitespace = index
            while afterWhitespace < end && HTTPSyntax.isWhitespace(line[afterWhitespace]) { afterWhitespace += 1 }
            if afterWhitespace < end && line[afterWhitespace] == HTTPSyntax.colon { throw .whitespaceBeforeColon }
            throw .invalidHeaderName
        }
        name = line[line.startIndex..<index]
        value = HTTPSyntax.trimmingWhitespace(line[(index + 1)..<end])

        for byte in value where !HTTPSyntax.isFieldValueByte(byte) {
            throw .invalidHeaderValue(name: String(decoding: name, as: UTF8.self))
        }
    }
}
