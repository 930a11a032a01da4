/// A request the parser rejected. After any error the connection must be closed, since the parser no
/// longer knows where the next request starts.
///
/// `HTTPParseError+Catalog.swift` lists every code with its status.
public struct HTTPParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// 400, 413, 414, 431, 501 (unsupported Transfer-Encoding) or 505 (unsupported HTTP version).
    public var status: Int
    /// A stable name such as `invalid_header_name` or `content_length_with_transfer_encoding`.
    public var code: String
    /// A sentence for people. It never quotes request bytes, only names, counts and limits.
    public var message: String

    public init(status: Int, code: String, message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public var description: String { "\(status) \(code): \(message)" }
}
