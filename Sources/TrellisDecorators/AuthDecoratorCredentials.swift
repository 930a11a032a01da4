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
        var found: String?
        for field in headers where Headers.namesEqual(field.name, "Authorization") {
            guard found == nil else {
                throw AuthDecoratorFailure(
                    .invalidRequest, code: "ambiguous_credentials", detail: "The Authorization field was sent more than once")
            }
            found = field.value
        }
        guard var value = found else { return nil }

        // Scans the value's bytes in place, so only the returned token is copied into a new String.
        let parsed: BearerParse = value.withUTF8 { bytes in
            var start = 0
            while start < bytes.count && isWhitespace(bytes[start]) { start += 1 }
            var schemeEnd = start
            while schemeEnd < bytes.count && !isWhitespace(bytes[schemeEnd]) { schemeEnd += 1 }
            guard isBearerScheme(UnsafeBufferPointer(rebasing: bytes[start..<schemeEnd])) else { return .otherScheme }

            var tokenStart = schemeEnd
            while tokenStart < bytes.count && isWhitespace(bytes[tokenStart]) { tokenStart += 1 }
            var tokenEnd = bytes.count
            while tokenEnd > tokenStart && isWhitespace(bytes[tokenEnd - 1]) { tokenEnd -= 1 }
            let token = UnsafeBufferPointer(rebasing: bytes[tokenStart..<tokenEnd])
            if token.isEmpty { return .empty }
            if token.contains(where: isWhitespace) { return .containsWhitespace }
            return .token(String(decoding: token, as: UTF8.self))
        }
        switch parsed {
        case .otherScheme:
            return nil
        case .empty:
            throw AuthDecoratorFailure.invalidCredentials("The Bearer credentials are empty")
        case .containsWhitespace:
            throw AuthDecoratorFailure.invalidCredentials("The Bearer credentials contain whitespace")
        case .token(let token):
            return token
        }
    }

    /// The outcome of scanning an `Authorization` value. The caller throws after `withUTF8` returns,
    /// since that closure cannot carry a typed error.
    private enum BearerParse {
        case otherScheme
        case empty
        case containsWhitespace
        case token(String)
    }

    /// True when `scheme` is `Bearer` in any ASCII letter case (an auth scheme is a case-insensitive
    /// token, RFC 9110 section 11.1).
    private static func isBearerScheme(_ scheme: UnsafeBufferPointer<UInt8>) -> Bool {
        guard scheme.count == 6 else { return false }
        for (byte, expected) in zip(scheme, "bearer".utf8) where byte | 0x20 != expected { return false }
        return true
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
    }
}
