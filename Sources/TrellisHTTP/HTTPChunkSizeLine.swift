/// The line that starts each chunk: `chunk-size [ chunk-ext ] CRLF` (RFC 9112 section 7.1).
enum HTTPChunkSizeLine {
    /// Maximum hexadecimal digits in a chunk size. 15 digits stay below 2^60, so a size can never
    /// overflow `Int`. Leading zeros count as digits.
    static let maxSizeDigits = 15

    /// Parses a complete chunk-size line without its CRLF and returns the size in bytes.
    ///
    /// Whitespace before an extension (`BWS` in RFC 9112 section 7.1.1) is rejected, as llhttp does
    /// in strict mode.
    static func parse(_ line: ArraySlice<UInt8>, extensionLimit: Int) throws(HTTPParseError) -> Int {
        var size = 0
        var index = line.startIndex
        while index < line.endIndex, let digit = HTTPSyntax.hexValue(line[index]) {
            if index - line.startIndex == maxSizeDigits { throw .chunkSizeTooLarge(maxDigits: maxSizeDigits) }
            size = size << 4 | digit
            index += 1
        }
        if index == line.startIndex { throw .invalidChunkSize }
        if index == line.endIndex { return size }
        if line[index] != HTTPSyntax.semicolon { throw .invalidChunkSize }

        let extensions = line[index...]
        if extensions.count > extensionLimit { throw .chunkExtensionTooLong(limit: extensionLimit) }
        try checkExtensions(extensions)
        return size
    }

    /// Checks a line whose CRLF has not arrived yet, so an endless size or extension is rejected
    /// without waiting for its end. Looks at no more than `maxSizeDigits + 1` bytes.
    static func checkPartial(_ partial: ArraySlice<UInt8>, extensionLimit: Int) throws(HTTPParseError) {
        var index = partial.startIndex
        while index < partial.endIndex && HTTPSyntax.hexValue(partial[index]) != nil {
            if index - partial.startIndex == maxSizeDigits { throw .chunkSizeTooLarge(maxDigits: maxSizeDigits) }
            index += 1
        }
        if index < partial.endIndex && partial[index] != HTTPSyntax.semicolon { throw .invalidChunkSize }
        if partial.endIndex - index > extensionLimit { throw .chunkExtensionTooLong(limit: extensionLimit) }
    }

    /// Checks `*( ";" chunk-ext-name [ "=" chunk-ext-val ] )` where the name is a token and the value
    /// a token or quoted-string (RFC 9112 section 7.1.1, RFC 9110 section 5.6.4).
    private static func checkExtensions(_ extensions: ArraySlice<UInt8>) throws(HTTPParseError) {
        var index = extensions.startIndex
        let end = extensions.endIndex
        while index < end {
            guard extensions[index] == HTTPSyntax.semicolon else { throw .invalidChunkExtension }
            index += 1

            let nameStart = index
            while index < end && HTTPSyntax.isTokenByte(extensions[index]) { index += 1 }
            if index == nameStart { throw .invalidChunkExtension }
            if index == end || extensions[index] == HTTPSyntax.semicolon { continue }

            guard extensions[index] == HTTPSyntax.equals else { throw .invalidChunkExtension }
            index += 1
            if index < end && extensions[index] == HTTPSyntax.quote {
                index = try endOfQuotedString(extensions, openingQuote: index)
            } else {
                let valueStart = index
                while index < end && HTTPSyntax.isTokenByte(extensions[index]) { index += 1 }
                if index == valueStart { throw .invalidChunkExtension }
            }
        }
    }

    /// Returns the index after the closing quote of the quoted-string that starts at `openingQuote`.
    /// qdtext is HTAB, SP, visible ASCII other than `"` and `\`, or obs-text, and a quoted-pair is `\`
    /// followed by HTAB, SP, VCHAR or obs-text (RFC 9110 section 5.6.4).
    private static func endOfQuotedString(
        _ bytes: ArraySlice<UInt8>, openingQuote: Int
    ) throws(HTTPParseError) -> Int {
        var index = openingQuote + 1
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == HTTPSyntax.quote { return index + 1 }
            if byte == HTTPSyntax.backslash {
                index += 1
                guard index < bytes.endIndex, HTTPSyntax.isFieldValueByte(bytes[index]) else {
                    throw .invalidChunkExtension
                }
            } else if !HTTPSyntax.isFieldValueByte(byte) {
                throw .invalidChunkExtension
            }
            index += 1
        }
        throw .invalidChunkExtension
    }
}
