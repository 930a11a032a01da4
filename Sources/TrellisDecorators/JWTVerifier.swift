import Glibc
import TrellisCore

/// Checks a compact JWS token (RFC 7515) and its JWT claims (RFC 7519) against one pinned algorithm
/// and key. It has no per-request state and is shared by all requests.
///
/// The checks run in this order, and the first that fails decides the `AuthDecoratorFailure`:
/// 1. size: more than `maxTokenBytes` bytes gives `token_too_large`;
/// 2. form: exactly three strict base64url segments, a header that is a JSON object without duplicate
///    members, `alg` equal to the configured algorithm (so `none` and a swapped algorithm fail), no
///    `crit`, and `typ`, when present, equal to `JWT` in any letter case;
/// 3. the signature over the first two segments as sent;
/// 4. the payload, which must be a JSON object;
/// 5. the time claims against `clock()` with `leewaySeconds` of tolerance: `exp` (required unless
///    `requireExp` is false) must be later than now, `nbf` not later than now, `iat` not in the future;
/// 6. `iss` and `aud` when `issuer` and `audience` are set.
///
/// Every failure before step 5 has the code `invalid_credentials`; later ones have `token_expired`,
/// `token_not_yet_valid`, `invalid_issuer` or `invalid_audience`.
public struct JWTVerifier: Sendable {
    /// Tolerance for clock differences between the issuer and this server: 60 seconds.
    public static let defaultLeewaySeconds: Int64 = 60
    /// The largest token accepted by default: 8 KiB, far above a typical token of well under 1 KiB.
    public static let defaultMaxTokenBytes = 8 * 1024
    /// The current Unix time in whole seconds, from the real-time clock.
    public static let systemClock: @Sendable () -> Int64 = { Int64(time(nil)) }

    public let algorithm: JWTAlgorithm
    public let key: JWTVerificationKey
    /// The required `iss` claim, or nil to accept any issuer.
    public var issuer: String?
    /// The audience this server is: the token's `aud` (a string, or an array of strings) must contain
    /// it. Nil accepts any audience.
    public var audience: String?
    /// Seconds of tolerance on `exp`, `nbf` and `iat`.
    public var leewaySeconds: Int64
    public var requireExp: Bool
    /// The largest token accepted, in bytes.
    public var maxTokenBytes: Int
    /// The current Unix time in seconds. Tests pass a fixed instant.
    public var clock: @Sendable () -> Int64

    /// Throws when `key` cannot verify `algorithm`, such as an HMAC secret for RS256 or an RSA key for
    /// ES256, or when a limit is out of range. The error names `keyField` or the limit.
    public init(
        algorithm: JWTAlgorithm, key: JWTVerificationKey, issuer: String? = nil, audience: String? = nil,
        leewaySeconds: Int64 = defaultLeewaySeconds, requireExp: Bool = true, maxTokenBytes: Int = defaultMaxTokenBytes,
        clock: @escaping @Sendable () -> Int64 = systemClock, keyField: String = "key"
    ) throws(ConfigError) {
        switch (algorithm, key) {
        case (.hs256, .hmacSecret):
            break
        case (.rs256, .publicKey(let publicKey)):
            guard case .rsa(let bits) = publicKey.kind, bits >= JWTVerificationKey.minimumRSABits else {
                throw ConfigError(field: keyField, "RS256 needs an RSA public key of at least \(JWTVerificationKey.minimumRSABits) bits")
            }
        case (.es256, .publicKey(let publicKey)):
            guard publicKey.kind == .ec(group: JWTVerificationKey.p256GroupName) else {
                throw ConfigError(field: keyField, "ES256 needs an EC public key on P-256")
            }
        default:
            throw ConfigError(field: keyField, "\(algorithm.name) cannot be verified with this kind of key")
        }
        guard leewaySeconds >= 0 else { throw ConfigError(field: "leewaySeconds", "must not be negative, found \(leewaySeconds)") }
        guard maxTokenBytes > 0 else { throw ConfigError(field: "maxTokenBytes", "must be positive, found \(maxTokenBytes)") }
        self.algorithm = algorithm
        self.key = key
        self.issuer = issuer
        self.audience = audience
        self.leewaySeconds = leewaySeconds
        self.requireExp = requireExp
        self.maxTokenBytes = maxTokenBytes
        self.clock = clock
    }

    /// Verifies `token` and returns its claims, a JSON object.
    public func verify(_ token: String) throws(AuthDecoratorFailure) -> JSON {
        let bytes = Array(token.utf8)
        guard bytes.count <= maxTokenBytes else {
            throw AuthDecoratorFailure(.invalidToken, code: "token_too_large", detail: "The token is longer than \(maxTokenBytes) bytes")
        }
        let segments = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard segments.count == 3 else {
            throw AuthDecoratorFailure.invalidCredentials("The token must have three dot-separated segments")
        }

        try checkHeader(segments[0])

        guard let signature = Base64URL.decode(segments[2]) else {
            throw AuthDecoratorFailure.invalidCredentials("The token signature is not valid base64url")
        }
        let signingInput = Array(bytes[..<segments[1].endIndex])
        guard verifySignature(signature, over: signingInput) else {
            throw AuthDecoratorFailure.invalidCredentials("The token signature is invalid")
        }

        guard let payload = Base64URL.decode(segments[1]) else {
            throw AuthDecoratorFailure.invalidCredentials("The token payload is not valid base64url")
        }
        guard let claims = try? JSON.parse(payload), claims.objectValue != nil else {
            throw AuthDecoratorFailure.invalidCredentials("The token payload is not a JSON object")
        }
        try checkTimes(claims)
        try checkIssuerAndAudience(claims)
        return claims
    }

    private func checkHeader(_ segment: ArraySlice<UInt8>) throws(AuthDecoratorFailure) {
        guard let headerBytes = Base64URL.decode(segment) else {
            throw AuthDecoratorFailure.invalidCredentials("The token header is not valid base64url")
        }
        guard let header = try? JSON.parse(headerBytes), header.objectValue != nil else {
            throw AuthDecoratorFailure.invalidCredentials("The token header is not a JSON object")
        }
        guard let alg = header["alg"]?.stringValue else {
            throw AuthDecoratorFailure.invalidCredentials("The token header has no alg")
        }
        // The exact, case-sensitive name: `none`, `None`, `hs256` and any other algorithm fail here.
        guard alg == algorithm.name else {
            throw AuthDecoratorFailure.invalidCredentials("The token algorithm is not the accepted \(algorithm.name)")
        }
        // RFC 7515, section 4.1.11: a recipient that does not understand a listed extension must reject
        // the token, and this verifier understands none.
        guard header["crit"] == nil else {
            throw AuthDecoratorFailure.invalidCredentials("The token header has crit, which is not supported")
        }
        if let typ = header["typ"] {
            guard typ.stringValue?.lowercased() == "jwt" else {
                throw AuthDecoratorFailure.invalidCredentials("The token typ is not JWT")
            }
        }
    }

    private func verifySignature(_ signature: [UInt8], over signingInput: [UInt8]) -> Bool {
        switch (algorithm, key) {
        case (.hs256, .hmacSecret(let secret)):
            let expected = Digest.hmacSHA256(key: secret, data: signingInput)
            return Digest.constantTimeEqual(expected, signature)
        case (.rs256, .publicKey(let publicKey)):
            guard signature.count == publicKey.maxSignatureByteCount else { return false }
            return publicKey.verifySHA256(signature: signature, message: signingInput)
        case (.es256, .publicKey(let publicKey)):
            guard let der = CryptoECDSASignature.der(fromRaw: signature, componentByteCount: 32) else { return false }
            return publicKey.verifySHA256(signature: der, message: signingInput)
        default:
            // The initializer admits only the pairs above.
            return false
        }
    }

    private func checkTimes(_ claims: JSON) throws(AuthDecoratorFailure) {
        let now = Double(clock())
        let leeway = Double(leewaySeconds)

        if let exp = try numericDate(claims, "exp") {
            // RFC 7519, section 4.1.4: the token must not be accepted on or after `exp`.
            guard now < exp + leeway else {
                throw AuthDecoratorFailure(.invalidToken, code: "token_expired", detail: "The token has expired")
            }
        } else if requireExp {
            throw AuthDecoratorFailure.invalidCredentials("The token has no exp claim")
        }
        if let nbf = try numericDate(claims, "nbf") {
            guard now + leeway >= nbf else {
                throw AuthDecoratorFailure(.invalidToken, code: "token_not_yet_valid", detail: "The token nbf is in the future")
            }
        }
        if let iat = try numericDate(claims, "iat") {
            guard iat <= now + leeway else {
                throw AuthDecoratorFailure(.invalidToken, code: "token_not_yet_valid", detail: "The token iat is in the future")
            }
        }
    }

    /// The claim `name` as seconds since the epoch (a JSON number, possibly fractional), or nil when
    /// absent. Throws when it is present but not a number.
    private func numericDate(_ claims: JSON, _ name: String) throws(AuthDecoratorFailure) -> Double? {
        guard let value = claims[name] else { return nil }
        guard let seconds = value.doubleValue else {
            throw AuthDecoratorFailure.invalidCredentials("The token \(name) claim is not a number")
        }
        return seconds
    }

    private func checkIssuerAndAudience(_ claims: JSON) throws(AuthDecoratorFailure) {
        if let issuer {
            guard claims["iss"]?.stringValue == issuer else {
                throw AuthDecoratorFailure(.invalidToken, code: "invalid_issuer", detail: "The token issuer is not accepted")
            }
        }
        if let audience {
            let matches: Bool
            switch claims["aud"] {
            case .string(let value)?: matches = value == audience
            case .array(let values)?: matches = values.contains(.string(audience))
            default: matches = false
            }
            guard matches else {
                throw AuthDecoratorFailure(.invalidToken, code: "invalid_audience", detail: "The token audience is not accepted")
            }
        }
    }

    /// Every failure code `verify` can produce, for metrics.
    static let failureCodes = ["invalid_credentials", "token_too_large", "token_expired", "token_not_yet_valid", "invalid_issuer", "invalid_audience"]
}
