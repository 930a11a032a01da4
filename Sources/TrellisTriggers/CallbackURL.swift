import Glibc

/// An `http://` URL a finished async call's result is POSTed to, from the `X-Callback-Url` header.
///
/// Accepted form: `http://host[:port][/path][?query]` where host is an IPv4 literal, an IPv6 literal in
/// brackets, or `localhost` (which `CallbackSender` connects to as `127.0.0.1`, without a DNS lookup).
/// No user info, no fragment, no `https` (the sender speaks plain TCP only). The callback target is
/// restricted to an allow-list of hosts because the server makes the request: an open target would let
/// any caller make the server reach internal addresses (server-side request forgery).
public struct CallbackURL: Sendable, Equatable, CustomStringConvertible {
    /// The host as written, lower-cased, without brackets: `127.0.0.1`, `::1` or `localhost`.
    public var host: String
    public var port: Int
    /// The path and query to request, starting with `/`.
    public var target: String

    /// The longest URL accepted, in bytes.
    public static let maxLength = 2048
    static let scheme = "http://"

    public init(host: String, port: Int, target: String) {
        self.host = host
        self.port = port
        self.target = target
    }

    /// Parses `text`. Throws a message that names what is wrong, never the whole URL, since a URL can
    /// carry a token in its query.
    public static func parse(_ text: String) throws(CallbackURLError) -> CallbackURL {
        guard text.utf8.count <= maxLength else { throw .invalid("it is longer than \(maxLength) bytes") }
        guard text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw .invalid("it contains spaces, control or non-ASCII characters")
        }
        guard text.lowercased().hasPrefix(scheme) else { throw .invalid("only http:// URLs are supported") }
        let rest = text.dropFirst(scheme.count)
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var target = String(rest[authorityEnd...])
        guard !target.contains("#") else { throw .invalid("it has a fragment") }
        guard !authority.contains("@") else { throw .invalid("it has user information") }
        if target.isEmpty || target.hasPrefix("?") { target = "/" + target }

        let hostText: Substring
        let portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw .invalid("the IPv6 address has no closing bracket") }
            hostText = authority[authority.index(after: authority.startIndex)..<close]
            let afterHost = authority[authority.index(after: close)...]
            if afterHost.isEmpty {
                portText = nil
            } else {
                guard afterHost.hasPrefix(":") else { throw .invalid("unexpected text after the IPv6 address") }
                portText = afterHost.dropFirst()
            }
            guard isIPv6Literal(String(hostText)) else { throw .invalid("the host is not an IPv6 address") }
        } else {
            let parts = authority.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            hostText = parts[0]
            portText = parts.count > 1 ? parts[1] : nil
            let host = hostText.lowercased()
            guard host == "localhost" || isIPv4Literal(host) else {
                throw .invalid("the host must be an IP address or localhost")
            }
        }
        var port = 80
        if let portText {
            guard !portText.isEmpty, portText.utf8.count <= 5, portText.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                let value = Int(portText), (1...65_535).contains(value)
            else {
                throw .invalid("the port must be a number from 1 to 65535")
            }
            port = value
        }
        return CallbackURL(host: hostText.lowercased(), port: port, target: target)
    }

    /// The whole URL in normal form, query included, as stored with the call.
    public var urlString: String { "http://\(hostAndPort)\(target)" }

    /// The URL without its query, for logs: a query may hold a token.
    public var description: String {
        let path = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0]
        return "http://\(hostAndPort)\(path)"
    }

    /// `host:port`, with an IPv6 host in brackets: the form `IngressSettings.callbackOrigins` lists.
    public var hostAndPort: String {
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return "\(hostPart):\(port)"
    }

    /// The `Host` field value for the request.
    var hostHeader: String {
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return port == 80 ? hostPart : "\(hostPart):\(port)"
    }

    static func isIPv4Literal(_ text: String) -> Bool {
        var address = in_addr()
        return inet_pton(AF_INET, text, &address) == 1
    }

    static func isIPv6Literal(_ text: String) -> Bool {
        var address = in6_addr()
        return inet_pton(AF_INET6, text, &address) == 1
    }
}

/// The reason an `X-Callback-Url` was rejected.
public enum CallbackURLError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalid(String)
    /// The receiver, as `host:port`, is not in `IngressSettings.callbackOrigins`.
    case originNotAllowed(String)

    public var description: String {
        switch self {
        case .invalid(let reason): return "X-Callback-Url is invalid: \(reason)"
        case .originNotAllowed(let origin):
            return "X-Callback-Url names \(origin), which is not in async.callbackOrigins; an operator must add it to the config"
        }
    }
}
