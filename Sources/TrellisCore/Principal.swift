/// The caller of a request, as established by an auth decorator.
public struct Principal: Sendable, Equatable {
    /// The API key's id, the JWT `sub` claim, or a trigger name such as `trigger:uploads`.
    public var id: String
    /// The scheme that established the principal: `apiKey`, `jwt`, `hmac` or `trigger`.
    public var scheme: String
    /// The verified JWT claims, or an empty object for other schemes.
    public var claims: JSON

    public init(id: String, scheme: String, claims: JSON = .object([])) {
        self.id = id
        self.scheme = scheme
        self.claims = claims
    }
}

/// A rate-limit decorator's decision for one request; the logging decorator reports it.
public enum RateLimitOutcome: String, Sendable {
    case allowed
    /// Refused with 429.
    case limited
    /// Would have been refused, but the decorator is in shadow mode and let the request through.
    case shadowLimited = "shadow_limited"
}
