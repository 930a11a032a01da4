import TrellisCore

/// One accepted API key: its id, the SHA-256 digest of the key, and the scopes it grants.
///
/// Only the digest is kept, so a memory dump or a debug print of the configuration does not reveal
/// the key.
public struct APIKey: Sendable {
    /// The name of the caller the key belongs to. It becomes `Principal.id` and is safe to log.
    public let id: String
    /// SHA-256 of the key's UTF-8 bytes, 32 bytes.
    public let digest: [UInt8]
    public let scopes: [String]

    /// A key given by the hex SHA-256 digest of its bytes, such as the output of
    /// `printf %s "$KEY" | sha256sum`. Throws when `sha256Hex` is not 64 hex digits; the error names
    /// `field`.
    public init(id: String, sha256Hex: String, scopes: [String] = [], field: String = "sha256") throws(ConfigError) {
        guard sha256Hex.utf8.count == Digest.sha256ByteCount * 2, let digest = Digest.bytes(fromHex: sha256Hex) else {
            throw ConfigError(
                field: field,
                "must be the SHA-256 of the key as 64 hex digits; found \(sha256Hex.utf8.count) characters, or characters that are not hex digits")
        }
        try self.init(id: id, digest: digest, scopes: scopes)
    }

    /// A key given in plain text, for example read from an environment variable; only its digest is
    /// stored. Throws when `key` is empty or contains U+FFFD.
    ///
    /// Header values and environment variables are decoded with invalid UTF-8 replaced by U+FFFD, so a
    /// key containing it would match any presented key with other invalid bytes in the same place.
    public init(id: String, key: String, scopes: [String] = [], field: String = "key") throws(ConfigError) {
        guard !key.isEmpty else { throw ConfigError(field: field, "must not be empty") }
        guard !key.unicodeScalars.contains("\u{FFFD}") else {
            throw ConfigError(field: field, "must be valid UTF-8 without U+FFFD; found a replacement character or bytes that are not UTF-8")
        }
        try self.init(id: id, digest: Digest.sha256(key), scopes: scopes)
    }

    private init(id: String, digest: [UInt8], scopes: [String]) throws(ConfigError) {
        guard !id.isEmpty else { throw ConfigError(field: "id", "must not be empty") }
        try AuthDecoratorSettings.checkScopes(scopes, field: "scopes")
        self.id = id
        self.digest = digest
        self.scopes = scopes
    }
}
