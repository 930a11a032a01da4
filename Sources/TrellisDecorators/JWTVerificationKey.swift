import TrellisCore

/// The key that checks JWT signatures: a shared HMAC secret for HS256 or a public key for RS256 and
/// ES256. The constructors enforce the minimum strength each algorithm needs.
public enum JWTVerificationKey: Sendable {
    case hmacSecret([UInt8])
    case publicKey(CryptoPublicKey)

    /// The shortest HS256 secret, in bytes: the size of the SHA-256 output (RFC 7518, section 3.2).
    public static let minimumHMACSecretBytes = 32
    /// The smallest RSA modulus accepted for RS256, in bits (RFC 7518, section 3.3).
    public static let minimumRSABits = 2048
    /// The OpenSSL group name of P-256, the only curve ES256 uses (RFC 7518, section 3.4).
    public static let p256GroupName = "prime256v1"

    /// Returns a key for an HS256 secret. Throws when the secret is shorter than 32 bytes; the error
    /// names `field` and the length, never the secret.
    public static func hmac(secret: [UInt8], field: String = "secret") throws(ConfigError) -> JWTVerificationKey {
        guard secret.count >= minimumHMACSecretBytes else {
            let found = secret.isEmpty ? "it is empty" : "it has \(secret.count) bytes"
            throw ConfigError(
                field: field,
                "must be an HS256 secret of at least \(minimumHMACSecretBytes) bytes, but \(found); generate one with `openssl rand -base64 48`")
        }
        return .hmacSecret(secret)
    }

    /// Returns a key for a PEM public key that suits `algorithm`: RSA of 2048 bits or more for RS256,
    /// a P-256 EC key for ES256. Throws a `ConfigError` naming `field` otherwise.
    public static func publicKey(pem: String, for algorithm: JWTAlgorithm, field: String = "publicKey") throws(ConfigError) -> JWTVerificationKey {
        guard algorithm != .hs256 else {
            throw ConfigError(field: field, "HS256 verifies with a shared secret, not a public key; set secret, secretEnv or secretFile")
        }
        guard let key = CryptoPublicKey(pem: pem) else {
            throw ConfigError(field: field, "does not contain a PEM public key (-----BEGIN PUBLIC KEY-----)")
        }
        switch (algorithm, key.kind) {
        case (.rs256, .rsa(let bits)) where bits >= minimumRSABits:
            return .publicKey(key)
        case (.rs256, .rsa(let bits)):
            throw ConfigError(field: field, "is an RSA key of \(bits) bits, but RS256 needs at least \(minimumRSABits) bits")
        case (.es256, .ec(let group)) where group == p256GroupName:
            return .publicKey(key)
        case (.es256, .ec(let group)):
            throw ConfigError(field: field, "is an EC key on \(group), but ES256 needs P-256 (prime256v1)")
        default:
            throw ConfigError(field: field, "is a \(describe(key.kind)) key, which cannot verify \(algorithm.name)")
        }
    }

    private static func describe(_ kind: CryptoPublicKey.Kind) -> String {
        switch kind {
        case .rsa(let bits): return "RSA \(bits)-bit"
        case .ec(let group): return "EC \(group)"
        case .other(let name): return name
        }
    }
}
