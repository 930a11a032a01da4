/// The JWS algorithms the JWT decorator verifies (RFC 7518, section 3.1). The configured algorithm is
/// the only one accepted: a token whose header names another is rejected before its signature is read.
public enum JWTAlgorithm: String, Sendable, CaseIterable {
    /// HMAC with SHA-256 and a shared secret of at least 32 bytes.
    case hs256 = "HS256"
    /// RSASSA-PKCS1-v1_5 with SHA-256 and an RSA public key of at least 2048 bits.
    case rs256 = "RS256"
    /// ECDSA on P-256 with SHA-256; the signature is the 64-byte `r || s`.
    case es256 = "ES256"

    /// The `alg` header value, which is also the config value.
    public var name: String { rawValue }
}
