import TrellisCore

/// Why an auth decorator turned a request away, and how that becomes a response with a
/// `WWW-Authenticate` challenge (RFC 6750, section 3).
///
/// `code` is stable: it is the `error` member of the JSON body and the `reason` label of
/// `trellis_auth_failures_total`. `detail` is a short ASCII sentence without quotes or backslashes,
/// so it may go into the `error_description` attribute as is. Neither ever contains a credential.
public struct AuthDecoratorFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// No credentials of the accepted form: 401 with a challenge that has no `error` attribute.
        case missingCredentials
        /// The credentials were sent more than once or in two places: 400, `error="invalid_request"`.
        case invalidRequest
        /// Credentials were present but are not valid: 401, `error="invalid_token"`.
        case invalidToken
        /// Valid credentials without the required scopes or claims: 403, `error="insufficient_scope"`.
        case insufficientScope
    }

    public var kind: Kind
    public var code: String
    public var detail: String
    /// The scopes the request needs, sent in the challenge's `scope` attribute with a 403.
    public var requiredScopes: [String]
    /// Advice to the client, appended to the JSON message; nil uses the advice for `kind`.
    public var advice: String?

    public init(_ kind: Kind, code: String, detail: String, requiredScopes: [String] = [], advice: String? = nil) {
        self.kind = kind
        self.code = code
        self.detail = detail
        self.requiredScopes = requiredScopes
        self.advice = advice
    }

    public static let missingCredentials = AuthDecoratorFailure(
        .missingCredentials, code: "missing_credentials", detail: "No credentials were sent")

    /// A token or key that is present but not valid, with the common code `invalid_credentials`.
    public static func invalidCredentials(_ detail: String) -> AuthDecoratorFailure {
        AuthDecoratorFailure(.invalidToken, code: "invalid_credentials", detail: detail)
    }

    public var status: Int {
        switch kind {
        case .missingCredentials, .invalidToken: return 401
        case .invalidRequest: return 400
        case .insufficientScope: return 403
        }
    }

    public var description: String { "\(code): \(detail)" }

    /// Returns the `WWW-Authenticate` field value for `realm`.
    public func challenge(realm: String) -> String {
        var value = "Bearer realm=\"\(realm)\""
        let error: String
        switch kind {
        case .missingCredentials: return value
        case .invalidRequest: error = "invalid_request"
        case .invalidToken: error = "invalid_token"
        case .insufficientScope: error = "insufficient_scope"
        }
        value += ", error=\"\(error)\", error_description=\"\(detail)\""
        if kind == .insufficientScope && !requiredScopes.isEmpty {
            value += ", scope=\"\(requiredScopes.joined(separator: " "))\""
        }
        return value
    }

    /// The error the decorator throws: the status, the code, a message with what to do next, and the
    /// challenge.
    public func httpError(realm: String) -> HTTPError {
        var headers = Headers()
        headers.add("WWW-Authenticate", challenge(realm: realm))
        var advice: String
        switch kind {
        case .missingCredentials: advice = "Send credentials as Authorization: Bearer <token>."
        case .invalidRequest: advice = "Send the credentials once, in one header field."
        case .invalidToken: advice = "Send valid credentials."
        case .insufficientScope: advice = "These credentials are valid but not allowed to call this function."
        }
        if let custom = self.advice { advice = custom }
        return HTTPError(status, code: code, message: "\(detail). \(advice)", headers: headers)
    }

    /// True when `text` may be placed between quotes in a challenge attribute: printable ASCII without
    /// `"` and `\` (the `error_description` and `scope` syntax of RFC 6750, section 3).
    static func isQuotable(_ text: String) -> Bool {
        text.utf8.allSatisfy { $0 >= 0x20 && $0 <= 0x7E && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }
    }
}
