import TrellisCore

/// The request-time part of `APIKeyDecorator`: finds the presented key, hashes it where it lies in
/// the header field value and compares the digest with every configured digest.
///
/// Everything that does not depend on the request is built once here: each key's digest, the
/// `Principal` a match returns, and whether the key grants the required scopes. It is a class so
/// that the decorator hands one reference to the shared auth flow instead of copying its fields.
final class APIKeyVerifier: Sendable {
    private struct Entry: Sendable {
        let digest: SHA256Digest
        let principal: Principal
        let grantsRequiredScopes: Bool
    }

    private let entries: [Entry]
    private let header: String?
    /// The UTF-8 length of `header`, checked before the letter-case-insensitive comparison.
    private let headerByteCount: Int
    private let requiredScopes: [String]
    private let maxKeyBytes: Int

    /// Builds the table from keys that `APIKeyDecorator.init` already validated.
    init(keys: [APIKey], header: String?, requiredScopes: [String], maxKeyBytes: Int) {
        entries = keys.map { key in
            // `APIKey` stores 32 bytes only: both of its initializers produce a SHA-256 digest.
            guard let digest = SHA256Digest(bytes: key.digest) else { preconditionFailure("APIKey digest is not 32 bytes") }
            return Entry(
                digest: digest, principal: Principal(id: key.id, scheme: "apiKey"),
                grantsRequiredScopes: requiredScopes.allSatisfy(key.scopes.contains))
        }
        self.header = header
        self.headerByteCount = header?.utf8.count ?? -1
        self.requiredScopes = requiredScopes
        self.maxKeyBytes = maxKeyBytes
    }

    /// Returns the principal of the key in `headers`; throws the failure of `APIKeyDecorator.authenticate`.
    func authenticate(_ headers: Headers) throws(AuthDecoratorFailure) -> Principal {
        var (value, range) = try presentedKey(in: headers)
        guard range.count <= maxKeyBytes else {
            throw AuthDecoratorFailure.invalidCredentials("The API key is longer than \(maxKeyBytes) bytes")
        }

        let key: SHA256Digest? = value.withUTF8 { utf8 in
            let bytes = UnsafeBufferPointer(rebasing: utf8[range])
            guard !Self.containsReplacementCharacter(bytes) else { return nil }
            return SHA256Digest(hashing: UnsafeRawBufferPointer(bytes))
        }
        // The field value was decoded with invalid UTF-8 replaced by U+FFFD, so such a key is not
        // the bytes the client sent. `APIKey` rejects configured keys containing U+FFFD too.
        guard let digest = key else {
            throw AuthDecoratorFailure.invalidCredentials("The API key is not valid UTF-8 or contains U+FFFD")
        }
        var match: Entry?
        for entry in entries {
            // Every digest is compared, so the time spent does not depend on where the match is.
            let equal = entry.digest.constantTimeEquals(digest)
            if equal && match == nil { match = entry }
        }
        guard let match else { throw AuthDecoratorFailure.invalidCredentials("The API key is not valid") }

        guard match.grantsRequiredScopes else {
            throw AuthDecoratorFailure(
                .insufficientScope, code: "insufficient_scope", detail: "The API key lacks a required scope",
                requiredScopes: requiredScopes)
        }
        return match.principal
    }

    /// Returns the field value that carries the key and the key's UTF-8 byte offsets in it.
    ///
    /// One pass over the fields finds both `Authorization` and the configured field. The failures
    /// and their order match reading the Bearer token first and the configured field second: a
    /// repeated `Authorization` or an invalid Bearer value is reported before a repeated configured
    /// field.
    private func presentedKey(in headers: Headers) throws(AuthDecoratorFailure) -> (String, Range<Int>) {
        var authorization: String?
        var custom: String?
        var customRepeated = false
        for field in headers.fields {
            let nameByteCount = field.name.utf8.count
            if nameByteCount == 13 && Headers.namesEqual(field.name, "Authorization") {
                guard authorization == nil else { throw AuthDecoratorCredentials.repeatedAuthorization }
                authorization = field.value
            } else if nameByteCount == headerByteCount, let header, Headers.namesEqual(field.name, header) {
                if custom != nil { customRepeated = true }
                custom = custom ?? field.value
            }
        }

        var bearer: (String, Range<Int>)?
        if let authorization, let range = try AuthDecoratorCredentials.bearerTokenRange(inAuthorization: authorization) {
            bearer = (authorization, range)
        }
        guard !customRepeated else {
            throw AuthDecoratorFailure(
                .invalidRequest, code: "ambiguous_credentials", detail: "The API key field was sent more than once")
        }
        let customKey = custom.map { ($0, Self.rangeWithoutSpaces(in: $0)) }

        switch (bearer, customKey) {
        case (nil, nil):
            var failure = AuthDecoratorFailure.missingCredentials
            failure.advice = header.map { "Send the API key in the \($0) header or as Authorization: Bearer <key>." }
                ?? "Send the API key as Authorization: Bearer <key>."
            throw failure
        case (.some, .some):
            throw AuthDecoratorFailure(
                .invalidRequest, code: "ambiguous_credentials", detail: "An API key was sent in two header fields")
        case (let key?, nil), (nil, let key?):
            guard !key.1.isEmpty else { throw AuthDecoratorFailure.invalidCredentials("The API key is empty") }
            return key
        }
    }

    /// True when `bytes` contains EF BF BD, the UTF-8 encoding of U+FFFD.
    private static func containsReplacementCharacter(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var index = 0
        while index + 2 < bytes.count {
            if bytes[index] == 0xEF && bytes[index + 1] == 0xBF && bytes[index + 2] == 0xBD { return true }
            index += 1
        }
        return false
    }

    /// Returns the UTF-8 byte offsets of `value` without leading and trailing spaces and tabs.
    private static func rangeWithoutSpaces(in value: String) -> Range<Int> {
        var value = value
        return value.withUTF8 { AuthDecoratorCredentials.rangeWithoutWhitespace($0) }
    }
}
