/// Limits the parser enforces, with the status each one produces.
///
/// Every limit is checked as soon as the buffered bytes exceed it, so a client cannot make the parser
/// hold more than about one limit's worth of a line before it is rejected.
public struct HTTPParserLimits: Sendable, Equatable {
    /// Longest request line (method, target, version) in bytes, without CRLF; longer gets 414.
    public var requestLineBytes: Int = 8 * 1024
    /// Largest field section in bytes: all header field lines with their CRLFs, without the request line
    /// and without the empty line that ends the section. Larger gets 431. Trailer field lines of a
    /// chunked body count against the same budget, added to the header lines of their request.
    public var headerBytes: Int = 16 * 1024
    /// Maximum number of field lines, headers and trailers of one request together. More gets 431.
    public var headerCount: Int = 100
    /// Largest body in bytes, declared by Content-Length or summed over chunks; larger gets 413.
    public var bodyBytes: Int = 1024 * 1024
    /// Longest chunk extension (after the size, before CRLF) in bytes; longer gets 400.
    public var chunkExtensionBytes: Int = 256

    public init() {}
}
