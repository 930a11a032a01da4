import TrellisCore
import TrellisRuntime
import TrellisTriggers

/// The destination of a request, decided from its method and target alone.
enum Route {
    /// A function invocation. `path` is the target's part after `/function/{name}` (empty or starting
    /// with `/`), `query` the text after `?`, neither percent-decoded.
    case function(ResolvedFunction, path: String, query: String)
    case builtin(BuiltinEndpoint)
    /// An event ingress endpoint such as `/events/{trigger}`. `path` is the whole target path and `query`
    /// the text after `?`, neither percent-decoded.
    case ingress(IngressRoute, path: String, query: String)
    /// 404 or 405, sent without running anything.
    case rejected(HTTPError)
}

/// The gateway's own endpoints. Each accepts GET and HEAD; other methods get 405.
enum BuiltinEndpoint: String, CaseIterable {
    case health = "/healthz"
    case functions = "/functions"
    case metrics = "/metrics"
}

/// Maps a request target to a `Route`.
///
/// Accepted target forms (RFC 9112 section 3.2): origin-form (`/function/hello?x=1`) and absolute-form
/// (`http://host/function/hello`), of which only the path and query are used. Other forms, such as
/// `*`, get 404. Function names are matched byte for byte without percent-decoding: a valid name never
/// contains `%` (`FunctionRegistry.problem(withName:)`), so `/function/h%65llo` gets 404 naming
/// `h%65llo`. This keeps one spelling per function in logs, metrics and caches.
///
/// Order: the built-in endpoints, then everything under `/function/` (with its own 404 and 405), then
/// the event ingress when one is configured, then 404.
struct Router: Sendable {
    static let functionPrefix = "/function/"
    /// The maximum bytes of an unknown name quoted back in a 404 message.
    static let maxQuotedNameBytes = 80

    let application: Application
    let ingress: (any EventIngress)?

    init(application: Application, ingress: (any EventIngress)? = nil) {
        self.application = application
        self.ingress = ingress
    }

    func route(method: String, target: String) -> Route {
        let (path, query) = Self.splitTarget(target)

        if let endpoint = BuiltinEndpoint(rawValue: path) {
            guard method == "GET" || method == "HEAD" else {
                var headers = Headers()
                headers.add("Allow", "GET, HEAD")
                return .rejected(HTTPError(
                    405, code: "method_not_allowed",
                    message: "\(path) accepts GET and HEAD, not \(Self.quoted(method)).", headers: headers))
            }
            return .builtin(endpoint)
        }

        guard path.hasPrefix(Self.functionPrefix) else {
            if let ingress, let route = ingress.route(method: method, path: path, query: query) {
                return .ingress(route, path: path, query: query)
            }
            return .rejected(.notFound(
                "No route for \(Self.quoted(path)); functions are served under /function/{name}."))
        }
        let rest = path.dropFirst(Self.functionPrefix.count)
        let name = rest.prefix { $0 != "/" }
        let subPath = String(rest.dropFirst(name.count))
        guard !name.isEmpty else {
            return .rejected(.notFound("The path \(Self.quoted(path)) names no function; use /function/{name}."))
        }
        guard let function = application.function(named: String(name)) else {
            return .rejected(.notFound("Function \(Self.quoted(String(name))) was not found."))
        }
        guard function.allows(method: method) else {
            var headers = Headers()
            headers.add("Allow", function.allowHeader)
            return .rejected(HTTPError(
                405, code: "method_not_allowed",
                message: "Function \"\(function.name)\" accepts \(function.allowHeader), not \(Self.quoted(method)).",
                headers: headers))
        }
        return .function(function, path: subPath, query: query)
    }

    /// Splits the path and the query (without `?`) of an origin-form or absolute-form target. Any other form
    /// gives its text as the path, which then matches no route.
    static func splitTarget(_ target: String) -> (path: String, query: String) {
        var pathAndQuery = Substring(target)
        if !target.hasPrefix("/"), let schemeEnd = target.range(of: "://") {
            let afterAuthority = target[schemeEnd.upperBound...]
            if let pathStart = afterAuthority.firstIndex(where: { $0 == "/" || $0 == "?" }) {
                pathAndQuery = afterAuthority[pathStart...]
            } else {
                pathAndQuery = "/"
            }
            if pathAndQuery.hasPrefix("?") { pathAndQuery = "/" + pathAndQuery }
        }
        guard let mark = pathAndQuery.firstIndex(of: "?") else { return (String(pathAndQuery), "") }
        return (String(pathAndQuery[..<mark]), String(pathAndQuery[pathAndQuery.index(after: mark)...]))
    }

    private static func quoted(_ text: String) -> String {
        let utf8 = text.utf8
        guard utf8.count > maxQuotedNameBytes else { return "\"\(text)\"" }
        return "\"\(String(decoding: utf8.prefix(maxQuotedNameBytes), as: UTF8.self))…\""
    }
}
