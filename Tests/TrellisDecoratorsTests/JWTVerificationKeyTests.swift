import Testing
import TrellisCore
import TrellisDecorators

@Suite struct JWTVerificationKeyTests {
    @Test(arguments: [0, 1, 31])
    func shortHMACSecretRejected(length: Int) {
        let secret = [UInt8](repeating: UInt8(ascii: "k"), count: length)
        #expect(throws: ConfigError.self) { try JWTVerificationKey.hmac(secret: secret, field: "jwt.secret") }
        do {
            _ = try JWTVerificationKey.hmac(secret: secret, field: "jwt.secret")
        } catch {
            #expect(error.field == "jwt.secret")
            #expect(error.message.contains("32 bytes"))
        }
    }

    @Test func hmacSecretOf32BytesAccepted() throws {
        _ = try JWTVerificationKey.hmac(secret: [UInt8](repeating: 7, count: 32))
    }

    struct KeyCase: Sendable, CustomTestStringConvertible {
        let label: String
        let pem: @Sendable () -> String
        let algorithm: JWTAlgorithm
        let accepted: Bool
        var testDescription: String { label }
    }

    static let keyCases: [KeyCase] = [
        KeyCase(label: "RSA 2048 for RS256", pem: { JWTTestSigner.rsa2048.publicKeyPEM }, algorithm: .rs256, accepted: true),
        KeyCase(label: "RSA 1024 for RS256", pem: { JWTTestSigner.rsa1024.publicKeyPEM }, algorithm: .rs256, accepted: false),
        KeyCase(label: "P-256 for RS256", pem: { JWTTestSigner.p256.publicKeyPEM }, algorithm: .rs256, accepted: false),
        KeyCase(label: "P-256 for ES256", pem: { JWTTestSigner.p256.publicKeyPEM }, algorithm: .es256, accepted: true),
        KeyCase(label: "P-384 for ES256", pem: { JWTTestSigner.p384.publicKeyPEM }, algorithm: .es256, accepted: false),
        KeyCase(label: "RSA 2048 for ES256", pem: { JWTTestSigner.rsa2048.publicKeyPEM }, algorithm: .es256, accepted: false),
        KeyCase(label: "PEM for HS256", pem: { JWTTestSigner.rsa2048.publicKeyPEM }, algorithm: .hs256, accepted: false),
        KeyCase(label: "not PEM", pem: { "hello" }, algorithm: .rs256, accepted: false),
        KeyCase(label: "empty", pem: { "" }, algorithm: .es256, accepted: false),
        KeyCase(
            label: "truncated PEM", pem: { String(JWTTestSigner.rsa2048.publicKeyPEM.dropLast(40)) }, algorithm: .rs256,
            accepted: false),
    ]

    @Test(arguments: keyCases)
    func publicKeyMatchesAlgorithm(row: KeyCase) {
        do {
            _ = try JWTVerificationKey.publicKey(pem: row.pem(), for: row.algorithm, field: "jwt.publicKey")
            #expect(row.accepted)
        } catch {
            #expect(!row.accepted)
            #expect(error.field == "jwt.publicKey")
        }
    }

    @Test func verifierRejectsSecretForRS256() throws {
        let key = try JWTVerificationKey.hmac(secret: JWTTestSigner.hmacSecret)
        #expect(throws: ConfigError.self) { try JWTVerifier(algorithm: .rs256, key: key) }
    }
}
