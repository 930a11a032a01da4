import Testing
import TrellisCore
@testable import TrellisDecorators

/// Fixed instants: `now` is the verifier's clock in every test unless a row sets another.
private let now: Int64 = 1_700_000_000

private func claims(_ extra: [(key: String, value: JSON)] = [], exp: Int64? = now + 600, iat: Int64? = now - 10) -> JSON {
    var members: [(key: String, value: JSON)] = [(key: "sub", value: "alice")]
    if let iat { members.append((key: "iat", value: .int(iat))) }
    if let exp { members.append((key: "exp", value: .int(exp))) }
    return .object(members + extra)
}

private func verifier(
    _ algorithm: JWTAlgorithm, at instant: Int64 = now, leeway: Int64 = 60, requireExp: Bool = true,
    issuer: String? = nil, audience: String? = nil, maxTokenBytes: Int = JWTVerifier.defaultMaxTokenBytes
) throws -> JWTVerifier {
    let key: JWTVerificationKey
    switch algorithm {
    case .hs256: key = try JWTVerificationKey.hmac(secret: JWTTestSigner.hmacSecret)
    case .rs256: key = try JWTVerificationKey.publicKey(pem: JWTTestSigner.rsa2048.publicKeyPEM, for: .rs256)
    case .es256: key = try JWTVerificationKey.publicKey(pem: JWTTestSigner.p256.publicKeyPEM, for: .es256)
    }
    return try JWTVerifier(
        algorithm: algorithm, key: key, issuer: issuer, audience: audience, leewaySeconds: leeway,
        requireExp: requireExp, maxTokenBytes: maxTokenBytes, clock: { instant })
}

private func signature(for algorithm: JWTAlgorithm) -> JWTTestSigner.Signature {
    switch algorithm {
    case .hs256: return .hs256(secret: JWTTestSigner.hmacSecret)
    case .rs256: return .rs256(JWTTestSigner.rsa2048)
    case .es256: return .es256(JWTTestSigner.p256)
    }
}

private func failureCode(_ verifier: JWTVerifier, _ token: String) -> String? {
    do {
        _ = try verifier.verify(token)
        return nil
    } catch {
        return error.code
    }
}

@Suite struct JWTVerifierTests {
    @Test(arguments: JWTAlgorithm.allCases)
    func validTokenReturnsClaims(algorithm: JWTAlgorithm) throws {
        let token = JWTTestSigner.token(alg: algorithm.name, claims: claims([(key: "role", value: "admin")]), signature: signature(for: algorithm))
        let verified = try verifier(algorithm).verify(token)
        #expect(verified["sub"] == "alice")
        #expect(verified["role"] == "admin")
    }

    @Test(arguments: JWTAlgorithm.allCases)
    func algNoneInAnyCaseRejected(algorithm: JWTAlgorithm) throws {
        let checker = try verifier(algorithm)
        for alg in ["none", "None", "NONE", "nOnE"] {
            let unsigned = JWTTestSigner.token(alg: alg, claims: claims(), signature: .raw([]))
            #expect(failureCode(checker, unsigned) == "invalid_credentials", "alg \(alg) with empty signature")
            let signed = JWTTestSigner.token(alg: alg, claims: claims(), signature: signature(for: algorithm))
            #expect(failureCode(checker, signed) == "invalid_credentials", "alg \(alg) with a valid signature")
        }
    }

    @Test func algorithmMismatchRejected() throws {
        // Each token is validly signed for its own header; only the configured algorithm may pass.
        for configured in JWTAlgorithm.allCases {
            let checker = try verifier(configured)
            for other in JWTAlgorithm.allCases where other != configured {
                let token = JWTTestSigner.token(alg: other.name, claims: claims(), signature: signature(for: other))
                #expect(failureCode(checker, token) == "invalid_credentials", "\(other.name) token, \(configured.name) configured")
            }
            let lowerCase = JWTTestSigner.token(alg: configured.name.lowercased(), claims: claims(), signature: signature(for: configured))
            #expect(failureCode(checker, lowerCase) == "invalid_credentials", "lower-case \(configured.name)")
        }
    }

    @Test func hmacWithPublicKeyAsSecretRejected() throws {
        // The key-confusion attack: HMAC signed with the RSA public key's PEM text as the secret.
        let pem = Array(JWTTestSigner.rsa2048.publicKeyPEM.utf8)
        let checker = try verifier(.rs256)
        let asHS256 = JWTTestSigner.token(alg: "HS256", claims: claims(), signature: .hs256(secret: pem))
        #expect(failureCode(checker, asHS256) == "invalid_credentials")
        let asRS256 = JWTTestSigner.token(alg: "RS256", claims: claims(), signature: .hs256(secret: pem))
        #expect(failureCode(checker, asRS256) == "invalid_credentials")
    }

    @Test(arguments: JWTAlgorithm.allCases)
    func badSignatureRejected(algorithm: JWTAlgorithm) throws {
        let token = JWTTestSigner.token(alg: algorithm.name, claims: claims(), signature: signature(for: algorithm))
        var parts = token.split(separator: ".").map(String.init)
        var signatureBytes = try #require(Base64URL.decode(parts[2]))
        signatureBytes[signatureBytes.count / 2] ^= 0x01
        parts[2] = JWTTestSigner.base64url(signatureBytes)
        #expect(failureCode(try verifier(algorithm), parts.joined(separator: ".")) == "invalid_credentials")
    }

    @Test(arguments: JWTAlgorithm.allCases)
    func tamperedPayloadRejected(algorithm: JWTAlgorithm) throws {
        let token = JWTTestSigner.token(alg: algorithm.name, claims: claims(), signature: signature(for: algorithm))
        var parts = token.split(separator: ".").map(String.init)
        let forged = claims([(key: "role", value: "admin")])
        parts[1] = JWTTestSigner.base64url(Array(forged.serialized().utf8))
        #expect(failureCode(try verifier(algorithm), parts.joined(separator: ".")) == "invalid_credentials")
    }

    @Test func es256DEREncodedSignatureRejected() throws {
        let token = JWTTestSigner.token(alg: "ES256", claims: claims(), signature: .es256DER(JWTTestSigner.p256))
        #expect(failureCode(try verifier(.es256), token) == "invalid_credentials")
    }

    struct TimeCase: Sendable, CustomTestStringConvertible {
        let label: String
        let claims: JSON
        let clock: Int64
        let leeway: Int64
        let expected: String?
        var testDescription: String { label }
    }

    static let timeCases: [TimeCase] = [
        TimeCase(label: "expired beyond leeway", claims: claims(exp: now - 61), clock: now, leeway: 60, expected: "token_expired"),
        TimeCase(label: "exp plus leeway minus 1 s", claims: claims(exp: 1000, iat: nil), clock: 1059, leeway: 60, expected: nil),
        TimeCase(label: "exp plus leeway exactly", claims: claims(exp: 1000, iat: nil), clock: 1060, leeway: 60, expected: "token_expired"),
        TimeCase(label: "exp minus 1 s, no leeway", claims: claims(exp: 1000, iat: nil), clock: 999, leeway: 0, expected: nil),
        TimeCase(label: "exp exactly, no leeway", claims: claims(exp: 1000, iat: nil), clock: 1000, leeway: 0, expected: "token_expired"),
        TimeCase(label: "fractional exp", claims: .object([(key: "sub", value: "a"), (key: "exp", value: 1000.5)]), clock: 1000, leeway: 0, expected: nil),
        TimeCase(label: "nbf in future", claims: claims([(key: "nbf", value: .int(now + 3600))]), clock: now, leeway: 60, expected: "token_not_yet_valid"),
        TimeCase(label: "nbf minus leeway exactly", claims: claims([(key: "nbf", value: .int(now + 60))]), clock: now, leeway: 60, expected: nil),
        TimeCase(label: "nbf minus leeway minus 1 s", claims: claims([(key: "nbf", value: .int(now + 61))]), clock: now, leeway: 60, expected: "token_not_yet_valid"),
        TimeCase(label: "iat in future", claims: .object([(key: "sub", value: "a"), (key: "exp", value: .int(now + 7200)), (key: "iat", value: .int(now + 3600))]), clock: now, leeway: 60, expected: "token_not_yet_valid"),
        TimeCase(label: "iat at leeway edge", claims: .object([(key: "sub", value: "a"), (key: "exp", value: .int(now + 7200)), (key: "iat", value: .int(now + 60))]), clock: now, leeway: 60, expected: nil),
        TimeCase(label: "iat past leeway edge", claims: .object([(key: "sub", value: "a"), (key: "exp", value: .int(now + 7200)), (key: "iat", value: .int(now + 61))]), clock: now, leeway: 60, expected: "token_not_yet_valid"),
        TimeCase(label: "exp not a number", claims: .object([(key: "sub", value: "a"), (key: "exp", value: "tomorrow")]), clock: now, leeway: 60, expected: "invalid_credentials"),
        TimeCase(label: "missing exp", claims: claims(exp: nil), clock: now, leeway: 60, expected: "invalid_credentials"),
    ]

    @Test(arguments: timeCases)
    func timeClaims(row: TimeCase) throws {
        let token = JWTTestSigner.token(alg: "HS256", claims: row.claims, signature: signature(for: .hs256))
        #expect(failureCode(try verifier(.hs256, at: row.clock, leeway: row.leeway), token) == row.expected)
    }

    @Test func missingExpAllowedWhenNotRequired() throws {
        let token = JWTTestSigner.token(alg: "HS256", claims: claims(exp: nil), signature: signature(for: .hs256))
        #expect(failureCode(try verifier(.hs256, requireExp: false), token) == nil)
    }

    struct IssuerAudienceCase: Sendable, CustomTestStringConvertible {
        let label: String
        let checksIssuer: Bool
        let extra: [(key: String, value: JSON)]
        let expected: String?
        var testDescription: String { label }
    }

    static let issuerAudienceCases: [IssuerAudienceCase] = [
        IssuerAudienceCase(label: "iss right", checksIssuer: true, extra: [(key: "iss", value: "https://id.example")], expected: nil),
        IssuerAudienceCase(label: "iss wrong", checksIssuer: true, extra: [(key: "iss", value: "https://evil.example")], expected: "invalid_issuer"),
        IssuerAudienceCase(label: "iss missing", checksIssuer: true, extra: [], expected: "invalid_issuer"),
        IssuerAudienceCase(label: "aud string right", checksIssuer: false, extra: [(key: "aud", value: "trellis")], expected: nil),
        IssuerAudienceCase(label: "aud array right", checksIssuer: false, extra: [(key: "aud", value: ["other", "trellis"])], expected: nil),
        IssuerAudienceCase(label: "aud string wrong", checksIssuer: false, extra: [(key: "aud", value: "other")], expected: "invalid_audience"),
        IssuerAudienceCase(label: "aud array wrong", checksIssuer: false, extra: [(key: "aud", value: ["other"])], expected: "invalid_audience"),
        IssuerAudienceCase(label: "aud missing", checksIssuer: false, extra: [], expected: "invalid_audience"),
    ]

    @Test(arguments: issuerAudienceCases)
    func issuerAndAudience(row: IssuerAudienceCase) throws {
        let checker = row.checksIssuer
            ? try verifier(.hs256, issuer: "https://id.example") : try verifier(.hs256, audience: "trellis")
        let token = JWTTestSigner.token(alg: "HS256", claims: claims(row.extra), signature: signature(for: .hs256))
        #expect(failureCode(checker, token) == row.expected)
    }

    @Test func malformedTokensRejected() throws {
        let checker = try verifier(.hs256)
        let valid = JWTTestSigner.token(alg: "HS256", claims: claims(), signature: signature(for: .hs256))
        let parts = valid.split(separator: ".").map(String.init)
        let malformed: [(String, String)] = [
            ("padded header", "\(parts[0])=.\(parts[1]).\(parts[2])"),
            ("plus in payload", "\(parts[0]).+\(parts[1].dropFirst()).\(parts[2])"),
            ("padded signature", "\(parts[0]).\(parts[1]).\(parts[2])="),
            ("two segments", "\(parts[0]).\(parts[1])"),
            ("four segments", "\(valid).\(parts[2])"),
            ("five segments, JWE shape", "\(parts[0]).\(parts[1]).\(parts[2]).\(parts[1]).\(parts[2])"),
            ("empty header", ".\(parts[1]).\(parts[2])"),
            ("empty", ""),
            ("dots only", ".."),
        ]
        for (label, token) in malformed {
            #expect(failureCode(checker, token) == "invalid_credentials", "\(label)")
        }
    }

    @Test func headerRulesEnforced() throws {
        let checker = try verifier(.hs256)
        let secret = signature(for: .hs256)
        let payload = Array(claims().serialized().utf8)
        let headers: [(String, String, String?)] = [
            ("array header", #"["HS256"]"#, "invalid_credentials"),
            ("duplicate alg", #"{"alg":"HS256","alg":"none"}"#, "invalid_credentials"),
            ("missing alg", #"{"typ":"JWT"}"#, "invalid_credentials"),
            ("alg not a string", #"{"alg":1}"#, "invalid_credentials"),
            ("crit present", #"{"alg":"HS256","crit":["exp"],"exp":1}"#, "invalid_credentials"),
            ("typ other", #"{"alg":"HS256","typ":"JOSE"}"#, "invalid_credentials"),
            ("typ lower case", #"{"alg":"HS256","typ":"jwt"}"#, nil),
            ("no typ", #"{"alg":"HS256"}"#, nil),
        ]
        for (label, header, expected) in headers {
            let token = JWTTestSigner.token(header: Array(header.utf8), payload: payload, signature: secret)
            #expect(failureCode(checker, token) == expected, "\(label)")
        }
    }

    @Test func payloadMustBeJSONObject() throws {
        let checker = try verifier(.hs256)
        for payload in ["not json", "[1,2]", #"{"sub":"a","sub":"b","exp":9999999999}"#] {
            let token = JWTTestSigner.token(header: Array(#"{"alg":"HS256"}"#.utf8), payload: Array(payload.utf8), signature: signature(for: .hs256))
            #expect(failureCode(checker, token) == "invalid_credentials", "payload \(payload)")
        }
    }

    @Test func oversizedTokenRejected() throws {
        let token = JWTTestSigner.token(alg: "HS256", claims: claims(), signature: signature(for: .hs256))
        let size = token.utf8.count
        #expect(failureCode(try verifier(.hs256, maxTokenBytes: size), token) == nil)
        #expect(failureCode(try verifier(.hs256, maxTokenBytes: size - 1), token) == "token_too_large")
        let huge = String(repeating: "a", count: JWTVerifier.defaultMaxTokenBytes + 1)
        #expect(failureCode(try verifier(.hs256), huge) == "token_too_large")
    }

    // RFC 7515, appendix A.1: the HS256 example, whose exp is 1300819380 (March 2011).
    static let rfc7515Token = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
        + ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
        + ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    static let rfc7515Key = "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"

    @Test func rfc7515ExampleVerifies() throws {
        let secret = try #require(Base64URL.decode(Self.rfc7515Key))
        let key = try JWTVerificationKey.hmac(secret: secret)
        let before = try JWTVerifier(algorithm: .hs256, key: key, issuer: "joe", leewaySeconds: 0, clock: { 1_300_819_000 })
        let verified = try before.verify(Self.rfc7515Token)
        #expect(verified["iss"] == "joe")
        #expect(verified["http://example.com/is_root"] == true)

        let after = try JWTVerifier(algorithm: .hs256, key: key, leewaySeconds: 0, clock: { 1_300_819_380 })
        #expect(failureCode(after, Self.rfc7515Token) == "token_expired")
    }
}
