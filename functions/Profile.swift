import TrellisCore

/// `GET /function/profile` returns what the caller's JWT says about them. The config puts a `jwt`
/// decorator in front, so the handler only runs with verified claims in `context.principal`.
enum Profile {
    static let options = FunctionOptions(
        methods: ["GET"], timeout: .seconds(5), owner: "identity-team",
        summary: "Shows the verified JWT claims of the caller.")

    struct Body: Encodable, Sendable {
        var subject: String
        var name: String?
        var scopes: [String]
        /// Seconds until the token expires, or nil for a token without `exp`.
        var expiresInSeconds: Int?
        var greeting: String
    }

    @Sendable static func handle(_ request: Request, _ context: Context) async throws -> Response {
        guard let principal = context.principal else {
            // Reached only when the config lost its jwt decorator: fail closed.
            throw HTTPError(401, code: "missing_credentials", message: "This function needs a verified JWT.")
        }
        let claims = principal.claims
        let scopes = claims["scope"]?.stringValue?.split(separator: " ").map(String.init) ?? []
        let expiresIn = claims["exp"]?.intValue.map { Int($0) - Int(LogRecord.unixTimeNow()) }
        let name = claims["name"]?.stringValue
        let body = Body(
            subject: principal.id, name: name, scopes: scopes, expiresInSeconds: expiresIn,
            greeting: "Hello, \(name ?? principal.id)!")
        return try .json(body)
    }
}
