import TrellisCore

/// Lets a request through when it carries one of the configured API keys, and sets
/// `context.principal` to the key's id with scheme `apiKey`.
///
/// The key is read from `Authorization: Bearer <key>` (scheme in any letter case) or, when `header` is
/// set, from that field as well. A request that sends a key in both, or sends either field twice, gets
/// 400, because RFC 6750, section 2, allows one method per request.
///
/// The presented key is hashed with SHA-256 and the digest is compared with every configured digest
/// in constant time, without stopping at a match, so the response time does not show which key or
/// how many bytes matched. Keys longer than `maxKeyBytes` are rejected before hashing.
///
/// A valid key that lacks one of `requiredScopes` gets 403. Neither the key nor part of it is written
/// to an error message or a log line.
///
/// Invocations from a trigger (a batch, or an ordinary invocation whose context contains a trigger
/// principal) carry no key: they pass when `allowTriggers` lists the trigger, else get the same 403
/// as a missing scope with code `trigger_not_allowed`. See `AuthTriggerPolicy`.
public struct APIKeyDecorator: BatchDecorator, InlineDecorator {
    /// The default maximum key length, in bytes.
    public static let defaultMaxKeyBytes = 512

    public let name = "apiKey"
    public let keys: [APIKey]
    /// A field read in addition to `Authorization`, such as `X-API-Key`, or nil.
    public let header: String?
    public let requiredScopes: [String]
    public let maxKeyBytes: Int
    /// The `realm` of the `WWW-Authenticate` challenge. Default `trellis`.
    public let realm: String
    /// The triggers that may call the function without a key; `*` allows all. Default none.
    public var allowTriggers: [String] { triggers.allowTriggers }
    private let triggers: AuthTriggerPolicy
    private let metrics: AuthDecoratorMetrics?
    private let verifier: APIKeyVerifier

    static let failureCodes = [
        "missing_credentials", "ambiguous_credentials", "invalid_credentials", "insufficient_scope", "trigger_not_allowed",
    ]

    /// Builds the decorator. `metrics` receives the auth counters, labelled with `functionName` or,
    /// when that is nil, with the function of each request; nil records nothing.
    ///
    /// Throws when `keys` is empty, two keys share an id or a digest, `header` is not a valid field name
    /// or is `Authorization`, `maxKeyBytes` is below 1, or `realm` or a scope cannot be quoted in a
    /// challenge. Also throws when an `allowTriggers` entry is neither `*` nor a trigger name. Errors name the field as a path relative to the decorator, such as `keys[1].id`.
    public init(
        keys: [APIKey], header: String? = nil, requiredScopes: [String] = [], maxKeyBytes: Int = defaultMaxKeyBytes,
        realm: String = "trellis", allowTriggers: [String] = [], metrics: MetricsRegistry? = nil, functionName: String? = nil
    ) throws(ConfigError) {
        guard !keys.isEmpty else { throw ConfigError(field: "keys", "must list at least one key") }
        for (index, key) in keys.enumerated() {
            if let earlier = keys[..<index].firstIndex(where: { $0.id == key.id }) {
                throw ConfigError(field: "keys[\(index)].id", "\"\(key.id)\" is already the id of keys[\(earlier)]")
            }
            if let earlier = keys[..<index].firstIndex(where: { Digest.constantTimeEqual($0.digest, key.digest) }) {
                throw ConfigError(field: "keys[\(index)]", "is the same key as keys[\(earlier)]; give each caller its own key")
            }
        }
        if let header {
            guard Self.isFieldName(header), header.lowercased() != "authorization" else {
                throw ConfigError(
                    field: "header", "must be a header field name other than Authorization, such as X-API-Key, found \"\(header)\"")
            }
        }
        guard maxKeyBytes >= 1 else { throw ConfigError(field: "maxKeyBytes", "must be at least 1, found \(maxKeyBytes)") }
        try AuthDecoratorSettings.checkRealm(realm, field: "realm")
        try AuthDecoratorSettings.checkScopes(requiredScopes, field: "requiredScopes")

        self.keys = keys
        self.header = header
        self.requiredScopes = requiredScopes
        self.maxKeyBytes = maxKeyBytes
        self.realm = realm
        self.triggers = try AuthTriggerPolicy(allowTriggers: allowTriggers)
        self.verifier = APIKeyVerifier(keys: keys, header: header, requiredScopes: requiredScopes, maxKeyBytes: maxKeyBytes)
        self.metrics = metrics.map {
            AuthDecoratorMetrics(registry: $0, decorator: "apiKey", reasons: Self.failureCodes, functionName: functionName)
        }
    }

    /// Authenticates the request and sets `context.principal`; throws the 400, 401 or 403 on failure.
    public func before(_ request: Request, context: Context) throws -> InlineDecoratorStep<Void> {
        // The closure captures the verifier alone, not a copy of this struct's fields.
        let verifier = verifier
        return try AuthDecoratorFlow.before(
            request, context: context, decorator: name, realm: realm, metrics: metrics, triggers: triggers,
            authenticate: { request throws(AuthDecoratorFailure) in try verifier.authenticate(request.headers) })
    }

    /// Lets a batch through when `allowTriggers` lists its trigger principal's trigger; else throws 403.
    public func handleBatch(_ batch: Batch, context: Context, next: BatchHandler) async throws -> BatchResult {
        try await AuthDecoratorFlow.handleBatch(
            batch, context: context, next: next, decorator: name, realm: realm, metrics: metrics, triggers: triggers)
    }

    /// Finds the key the request presents and checks its scopes.
    public func authenticate(_ request: Request) throws(AuthDecoratorFailure) -> Principal {
        try verifier.authenticate(request.headers)
    }

    /// True for an RFC 9110 field name: one or more `tchar`s.
    private static func isFieldName(_ name: String) -> Bool {
        let symbols = Array("!#$%&'*+-.^_`|~".utf8)
        return !name.isEmpty && name.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || symbols.contains(byte)
        }
    }
}
