/// One step of a parsed request, returned by `HTTPRequestParser.next()`.
///
/// Each request yields one `.head`, zero or more `.body` pieces, then one `.end`.
public enum HTTPParserEvent: Sendable {
    case head(HTTPRequestHead)
    /// A piece of the body, after chunked decoding. Never empty.
    case body([UInt8])
    /// The request is complete; the next event belongs to the next request.
    case end
}
