/// How the body of a request is framed (RFC 9112, section 6).
public enum HTTPBodyFraming: Sendable, Equatable {
    /// No Content-Length and no Transfer-Encoding: the request has no body (RFC 9112, section 6.3).
    case none
    /// A body of exactly this many bytes, which is 0 when the client sent `Content-Length: 0`.
    case contentLength(Int)
    /// `Transfer-Encoding: chunked`. The parser emits the decoded bytes.
    case chunked
}
