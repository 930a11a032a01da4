import TrellisCore

/// The config form: `{"type": "jwt", "algorithm": "RS256", "publicKeyFile": "/etc/trellis/jwt.pem"}`.
///
/// | key | meaning | default |
/// |---|---|---|
/// | `algorithm` | `HS256`, `RS256` or `ES256`; the only `alg` accepted | required |
/// | `secret`, `secretEnv`, `secretFile` | HS256 only, exactly one: the secret itself, an environment variable holding it, or a file holding it (one trailing newline is dropped); at least 32 bytes | – |
/// | `publicKey`, `publicKeyEnv`, `publicKeyFile` | RS256 and ES256 only, exactly one: a PEM public key, an environment variable holding it, or a file path | – |
/// | `issuer` | required `iss` | any |
/// | `audience` | required member of `aud` | any |
/// | `leewaySeconds` | clock tolerance on `exp`, `nbf`, `iat`, 0 to 3600 | 60 |
/// | `requireExp` | reject tokens without `exp` | true |
/// | `maxTokenBytes` | longest token, 256 to 65536 | 8192 |
/// | `requiredClaims` | object of claim name to required JSON value | {} |
/// | `requiredScopes` | scopes the token must grant | [] |
/// | `principalClaim` | claim used as the principal id | `sub` |
/// | `realm` | realm of the `WWW-Authenticate` challenge | `trellis` |
/// | `allowTriggers` | trigger names that may call the function without a token, or `"*"` for all | [] |
extension JWTDecorator {
    public static let configType = "jwt"
    public static let maxTokenBytesRange = 256...65536
    public static let leewaySecondsRange = 0...3600

    private static let secretKeys = ["secret", "secretEnv", "secretFile"]
    private static let publicKeyKeys = ["publicKey", "publicKeyEnv", "publicKeyFile"]

    public static func make(_ settings: DecoratorSettings, _ environment: DecoratorEnvironment) throws -> any Decorator {
        try make(settings, environment, clock: JWTVerifier.systemClock)
    }

    /// Builds the decorator from config with `clock` as the source of the current Unix time.
    public static func make(
        _ settings: DecoratorSettings, _ environment: DecoratorEnvironment, clock: @escaping @Sendable () -> Int64
    ) throws(ConfigError) -> JWTDecorator {
        let algorithmName = try settings.string("algorithm")
        guard let algorithm = JWTAlgorithm(rawValue: algorithmName) else {
            let allowed = JWTAlgorithm.allCases.map(\.name).joined(separator: ", ")
            throw ConfigError(field: settings.field("algorithm"), "must be one of \(allowed), found \"\(algorithmName)\"")
        }

        let (key, keyField) = try loadKey(for: algorithm, settings, environment)
        let issuer = settings.has("issuer") ? try settings.string("issuer") : nil
        let audience = settings.has("audience") ? try settings.string("audience") : nil
        let leeway = try settings.int("leewaySeconds", in: leewaySecondsRange, default: Int(JWTVerifier.defaultLeewaySeconds))
        let requireExp = try settings.bool("requireExp", default: true)
        let maxTokenBytes = try settings.int("maxTokenBytes", in: maxTokenBytesRange, default: JWTVerifier.defaultMaxTokenBytes)
        let requiredScopes = try settings.stringArray("requiredScopes", default: [])
        let principalClaim = try settings.string("principalClaim", default: "sub")
        let realm = try settings.string("realm", default: "trellis")
        let allowTriggers = try settings.stringArray("allowTriggers", default: [])

        var requiredClaims: [(key: String, value: JSON)] = []
        if let value = settings.value("requiredClaims") {
            guard let members = value.objectValue else {
                throw ConfigError(field: settings.field("requiredClaims"), "must be an object of claim names to values, found \(value.typeName)")
            }
            requiredClaims = members
        }
        try settings.finish()

        do {
            let verifier = try JWTVerifier(
                algorithm: algorithm, key: key, issuer: issuer, audience: audience, leewaySeconds: Int64(leeway),
                requireExp: requireExp, maxTokenBytes: maxTokenBytes, clock: clock, keyField: keyField)
            return try JWTDecorator(
                verifier: verifier, requiredClaims: requiredClaims, requiredScopes: requiredScopes,
                principalClaim: principalClaim, realm: realm, allowTriggers: allowTriggers, metrics: environment.metrics,
                functionName: environment.functionName)
        } catch {
            // The initializers name fields without the settings path; a field already under it is kept.
            guard !error.field.hasPrefix(settings.path) else { throw error }
            throw ConfigError(field: settings.field(error.field), error.message)
        }
    }

    /// Loads the key from whichever of the key settings is set, and rejects those of the other family.
    private static func loadKey(
        for algorithm: JWTAlgorithm, _ settings: DecoratorSettings, _ environment: DecoratorEnvironment
    ) throws(ConfigError) -> (JWTVerificationKey, String) {
        let (wanted, unwanted) = algorithm == .hs256 ? (secretKeys, publicKeyKeys) : (publicKeyKeys, secretKeys)
        for key in unwanted where settings.has(key) {
            throw ConfigError(field: settings.field(key), "is not used with \(algorithm.name); set one of \(wanted.joined(separator: ", "))")
        }
        let source = try AuthDecoratorSettings.exactlyOne(of: wanted, in: settings)
        let field = settings.field(source)
        let setting = try settings.string(source)

        switch source {
        case "secret":
            return (try JWTVerificationKey.hmac(secret: Array(setting.utf8), field: field), field)
        case "secretEnv":
            let value = try AuthDecoratorSettings.environmentValue(setting, field: field, in: environment.environment)
            return (try JWTVerificationKey.hmac(secret: Array(value.utf8), field: field), field)
        case "secretFile":
            let bytes = try AuthDecoratorSettings.fileContents(setting, field: field)
            let secret = AuthDecoratorSettings.removingTrailingNewline(bytes)
            return (try JWTVerificationKey.hmac(secret: secret, field: field), field)
        case "publicKey":
            return (try JWTVerificationKey.publicKey(pem: setting, for: algorithm, field: field), field)
        case "publicKeyEnv":
            let pem = try AuthDecoratorSettings.environmentValue(setting, field: field, in: environment.environment)
            return (try JWTVerificationKey.publicKey(pem: pem, for: algorithm, field: field), field)
        default:
            let bytes = try AuthDecoratorSettings.fileContents(setting, field: field)
            let pem = String(decoding: bytes, as: UTF8.self)
            return (try JWTVerificationKey.publicKey(pem: pem, for: algorithm, field: field), field)
        }
    }
}
