import TrellisCore

/// Reads bearer credentials from a request (RFC 6750, section 2.1).
enum AuthDecoratorCredentials {
    /// Returns the token of an `Authorization: Bearer <token>` field, with the scheme matched in any
    /// letter case. Returns nil when the field is absent or names another scheme, such as `Basic`,
    /// since such a request carries no credentials this decorator accepts.
    ///
    /// Throws `invalidRequest` when the field occurs more than once, and `invalid_credentials` when the
    /// scheme is Bearer but the token is empty or contains whitespace.
    static func bearerToken(in headers: Headers) throws(AuthDecoratorFailure) -> String? {
        let values = headers.values(for: "Authorization")
        guard values.count <= 1 else {
            throw AuthDecoratorFailure(
                .invalidRequest, code: "ambiguous_credentials", detail: "The Authorization field was sent more than once")
        }
        guard let value = values.first else { return nil }

        let bytes = Array(value.utf8)
        var start = 0
        while start < bytes.count && isWhitespace(bytes[start]) { start += 1 }
        var schemeEnd = start
        while schemeEnd < bytes.count && !isWhitespace(bytes[schemeEnd]) { schemeEnd += 1 }
        let scheme = String(decoding: bytes[start..<schemeEnd], as: UTF8.self)
        guard scheme.lowercased() == "bearer" else { return nil }

        var tokenStart = schemeEnd
        while tokenStart < bytes.count && isWhitespace(bytes[tokenStart]) { tokenStart += 1 }
        var tokenEnd = bytes.count
        while tokenEnd > tokenStart && isWhitespace(bytes[tokenEnd - 1]) { tokenEnd -= 1 }
        let token = bytes[tokenStart..<tokenEnd]
        guard !token.isEmpty else {
            throw AuthDecoratorFailure.invalidCredentials("The Bearer credentials are empty")
        }
        guard !token.contains(where: isWhitespace) else {
            throw AuthDecoratorFailure.invalidCredentials("The Bearer credentials contain whitespace")
        }
        return String(decoding: token, as: UTF8.self)
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
    }
}
