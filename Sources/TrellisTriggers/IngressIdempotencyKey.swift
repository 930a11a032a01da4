import TrellisCore

/// The `Idempotency-Key` request header: a client's name for one logical delivery, so that a retried
/// request within the window enqueues nothing new and gets the first request's ids.
enum IngressIdempotencyKey {
    static let header = "Idempotency-Key"
    /// The maximum key length, in bytes.
    static let maxLength = 255

    /// Parses the key, nil when the header is absent. Throws 400 `invalid_idempotency_key` unless the key is 1 to
    /// 255 visible ASCII characters (0x21 to 0x7E), or when the header is given twice.
    static func parse(_ headers: Headers) throws(HTTPError) -> String? {
        let values = headers.values(for: header)
        guard let key = values.first else { return nil }
        guard values.count == 1 else {
            throw HTTPError.badRequest("Send one Idempotency-Key header, not \(values.count).", code: "invalid_idempotency_key")
        }
        guard isValid(key) else {
            throw HTTPError.badRequest(
                "The Idempotency-Key must be 1 to \(maxLength) visible ASCII characters without spaces.",
                code: "invalid_idempotency_key")
        }
        return key
    }

    /// True for 1 to 255 bytes in 0x21...0x7E. Event ids given in a payload follow the same rule.
    static func isValid(_ key: String) -> Bool {
        let utf8 = key.utf8
        return !utf8.isEmpty && utf8.count <= maxLength && utf8.allSatisfy { $0 >= 0x21 && $0 <= 0x7E }
    }
}
