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
            guard found == nil else { throw repeatedAuthorization }
            found = field.value
        }
        guard var value = found, let token = try bearerTokenRange(inAuthorization: value) else { return nil }
        return value.withUTF8 { String(decoding: UnsafeBufferPointer(rebasing: $0[token]), as: UTF8.self) }
    }

    /// The failure for a request with more than one `Authorization` field.
    static var repeatedAuthorization: AuthDecoratorFailure {
        AuthDecoratorFailure(
            .invalidRequest, code: "ambiguous_credentials", detail: "The Authorization field was sent more than once")
    }

    /// Returns the byte offsets of the token in the UTF-8 of an `Authorization` field value, or nil
    /// when the value names another scheme. Throws `invalid_credentials` when the scheme is Bearer but
    /// the token is empty or contains whitespace. It copies nothing, so a caller can hash the token
    /// where it lies.
    static func bearerTokenRange(inAuthorization value: String) throws(AuthDecoratorFailure) -> Range<Int>? {
        var value = value
        let parsed: BearerParse = value.withUTF8 { bytes in
            var start = 0
            while start < bytes.count && isWhitespace(bytes[start]) { start += 1 }
            var schemeEnd = start
            while schemeEnd < bytes.count && !isWhitespace(bytes[schemeEnd]) { schemeEnd += 1 }
            guard isBearerScheme(UnsafeBufferPointer(rebasing: bytes[start..<schemeEnd])) else { return .otherScheme }

            let token = rangeWithoutWhitespace(bytes, from: schemeEnd)
            if token.isEmpty { return .empty }
            for index in token where isWhitespace(bytes[index]) { return .containsWhitespace }
            return .token(token)
        }
        switch parsed {
        case .otherScheme:
            return nil
        case .empty:
            throw AuthDecoratorFailure.invalidCredentials("The Bearer credentials are empty")
        case .containsWhitespace:
            throw AuthDecoratorFailure.invalidCredentials("The Bearer credentials contain whitespace")
        case .token(let range):
            return range
        }
    }

    /// The outcome of scanning an `Authorization` value. The caller throws after `withUTF8` returns,
    /// since that closure cannot carry a typed error.
    private enum BearerParse {
        case otherScheme
        case empty
        case containsWhitespace
        case token(Range<Int>)
    }

    /// True when `scheme` is `Bearer` in any ASCII letter case (an auth scheme is a case-insensitive
    /// token, RFC 9110 section 11.1).
    private static func isBearerScheme(_ scheme: UnsafeBufferPointer<UInt8>) -> Bool {
        guard scheme.count == 6 else { return false }
        return scheme[0] | 0x20 == UInt8(ascii: "b") && scheme[1] | 0x20 == UInt8(ascii: "e")
            && scheme[2] | 0x20 == UInt8(ascii: "a") && scheme[3] | 0x20 == UInt8(ascii: "r")
            && scheme[4] | 0x20 == UInt8(ascii: "e") && scheme[5] | 0x20 == UInt8(ascii: "r")
    }

    /// Returns the offsets of `bytes[start...]` without leading and trailing spaces and tabs.
    static func rangeWithoutWhitespace(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int = 0) -> Range<Int> {
        var start = start
        var end = bytes.count
        while start < end && isWhitespace(bytes[start]) { start += 1 }
        while end > start && isWhitespace(bytes[end - 1]) { end -= 1 }
        return start..<end
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
    }
}
