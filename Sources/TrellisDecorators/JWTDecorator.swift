import TrellisCore

/// Lets a request through when its `Authorization: Bearer <token>` contains a valid JWT, and sets
/// `context.principal` to the token's subject with scheme `jwt` and the verified claims.
///
/// `JWTVerifier` does the cryptographic and time checks (401). After those, `requiredClaims` and
/// `requiredScopes` decide whether the caller may call the function (403). A claim requirement holds
/// when the claim equals the given JSON value or is an array that contains it. The token's scopes are
/// the space-separated words of a `scope` string claim together with the `scp` claim, an array of
/// strings or a space-separated string. Every required scope must be among them.
///
/// Neither the token nor any part of it is written to an error message or a log line.
///
/// Invocations from a trigger (a batch, or an ordinary invocation whose context contains a trigger
/// principal) carry no token: they pass when `allowTriggers` lists the trigger, else get the same 403
/// as a missing scope with code `trigger_not_allowed`. See `AuthTriggerPolicy`.
public struct JWTDecorator: BatchDecorator, InlineDecorator {
    public let name: String
    public let verifier: JWTVerifier
    public let requiredClaims: [(key: String, value: JSON)]
    public let requiredScopes: [String]
    /// The claim whose string value becomes `Principal.id`. Default `sub`.
    public let principalClaim: String
    /// The `realm` of the `WWW-Authenticate` challenge. Default `trellis`.
    public let realm: String
    /// The triggers that may call the function without a token; `*` allows all. Default none.
    public var allowTriggers: [String] { triggers.allowTriggers }
    private let triggers: AuthTriggerPolicy
    private let metrics: AuthDecoratorMetrics?

    /// Failure codes of the decorator beyond those of the verifier, for metrics.
    static let failureCodes = [
        "missing_credentials", "ambiguous_credentials", "insufficient_scope", "insufficient_claims", "trigger_not_allowed",
    ]

    /// Builds the decorator. `metrics` receives the auth counters, labelled with `functionName` or,
    /// when that is nil, with the function of each request; nil records nothing.
    ///
    /// Throws when `principalClaim`, `realm` or a required scope cannot be written into a challenge,
    /// because it is empty or contains a quote, a backslash or a control character. Scopes also must
    /// not contain a space. An `allowTriggers` entry must be `*` or a trigger name.
    public init(
        verifier: JWTVerifier, requiredClaims: [(key: String, value: JSON)] = [], requiredScopes: [String] = [],
        principalClaim: String = "sub", realm: String = "trellis", allowTriggers: [String] = [], metrics: MetricsRegistry? = nil,
        functionName: String? = nil
    ) throws(ConfigError) {
        guard !principalClaim.isEmpty, AuthDecoratorFailure.isQuotable(principalClaim) else {
            throw ConfigError(field: "principalClaim", "must be a claim name without quotes, backslashes or control characters")
        }
        try AuthDecoratorSettings.checkRealm(realm, field: "realm")
        try AuthDecoratorSettings.checkScopes(requiredScopes, field: "requiredScopes")
        self.name = "jwt(\(verifier.algorithm.name))"
        self.verifier = verifier
        self.requiredClaims = requiredClaims
        self.requiredScopes = requiredScopes
        self.principalClaim = principalClaim
        self.realm = realm
        self.triggers = try AuthTriggerPolicy(allowTriggers: allowTriggers)
        self.metrics = metrics.map {
            AuthDecoratorMetrics(
                registry: $0, decorator: "jwt", reasons: JWTVerifier.failureCodes + Self.failureCodes, functionName: functionName)
        }
    }

    /// Authenticates the request and sets `context.principal`; throws the 400, 401 or 403 on failure.
    public func before(_ request: Request, context: Context) throws -> InlineDecoratorStep<Void> {
        try AuthDecoratorFlow.before(
            request, context: context, decorator: name, realm: realm, metrics: metrics, triggers: triggers,
            authenticate: authenticate)
    }

    /// Lets a batch through when `allowTriggers` lists its trigger principal's trigger; else throws 403.
    public func handleBatch(_ batch: Batch, context: Context, next: BatchHandler) async throws -> BatchResult {
        try await AuthDecoratorFlow.handleBatch(
            batch, context: context, next: next, decorator: name, realm: realm, metrics: metrics, triggers: triggers)
    }

    /// Verifies the request's token and checks the claim and scope requirements.
    public func authenticate(_ request: Request) throws(AuthDecoratorFailure) -> Principal {
        guard let token = try AuthDecoratorCredentials.bearerToken(in: request.headers) else {
            throw AuthDecoratorFailure.missingCredentials
        }
        let claims = try verifier.verify(token)
        guard let id = claims[principalClaim]?.stringValue, !id.isEmpty else {
            throw AuthDecoratorFailure.invalidCredentials("The token has no \(principalClaim) string claim")
        }

        for requirement in requiredClaims {
            guard let value = claims[requirement.key], Self.satisfies(value, requirement.value) else {
                throw AuthDecoratorFailure(
                    .insufficientScope, code: "insufficient_claims", detail: "The token lacks a required claim value")
            }
        }
        if !requiredScopes.isEmpty {
            let granted = Self.scopes(in: claims)
            guard requiredScopes.allSatisfy(granted.contains) else {
                throw AuthDecoratorFailure(
                    .insufficientScope, code: "insufficient_scope", detail: "The token lacks a required scope",
                    requiredScopes: requiredScopes)
            }
        }
        return Principal(id: id, scheme: "jwt", claims: claims)
    }

    private static func satisfies(_ value: JSON, _ required: JSON) -> Bool {
        if value == required { return true }
        if case .array(let elements) = value, required.arrayValue == nil { return elements.contains(required) }
        return false
    }

    /// The scopes granted by the `scope` and `scp` claims.
    static func scopes(in claims: JSON) -> Set<String> {
        var scopes = Set<String>()
        func addWords(_ text: String) {
            for word in text.split(separator: " ") { scopes.insert(String(word)) }
        }
        if let scope = claims["scope"]?.stringValue { addWords(scope) }
        switch claims["scp"] {
        case .string(let text)?: addWords(text)
        case .array(let elements)?: for element in elements { if let text = element.stringValue { scopes.insert(text) } }
        default: break
        }
        return scopes
    }
}
