// NOTE: this file fixes the parser's public interface; the implementation is not written yet and every
// call traps. Replace the bodies, keep the signatures (or update every caller in the same change).

/// Limits the parser enforces, with the status each one produces.
public struct HTTPParserLimits: Sendable, Equatable {
    /// Longest request line (method, target, version) in bytes, without CRLF; longer gets 414.
    public var requestLineBytes: Int = 8 * 1024
    /// Largest header block (all field lines with their CRLFs, without the request line); larger gets 431.
    public var headerBytes: Int = 16 * 1024
    /// Most header fields; more gets 431.
    public var headerCount: Int = 100
    /// Largest body in bytes, declared by Content-Length or summed over chunks; larger gets 413.
    public var bodyBytes: Int = 1024 * 1024
    /// Longest chunk extension (after the size, before CRLF) in bytes; longer gets 400.
    public var chunkExtensionBytes: Int = 256

    public init() {}
}

/// How the body of a request is framed (RFC 9112, section 6).
public enum HTTPBodyFraming: Sendable, Equatable {
    case none
    case contentLength(Int)
    case chunked
}

/// The request line and header fields of one request.
public struct HTTPRequestHead: Sendable {
    /// The method token as sent (case-sensitive, RFC 9110 section 9.1).
    public var method: String
    /// The request target as sent, for example `/function/hello?x=1`.
    public var target: String
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    public var versionMinor: Int
    /// Field lines in order, names as sent, values with surrounding whitespace removed.
    public var headers: [(name: String, value: String)]
    public var framing: HTTPBodyFraming
    /// False when the client asked to close: HTTP/1.0 without `Connection: keep-alive`, or any
    /// `Connection: close`.
    public var keepAlive: Bool
    /// True for `Expect: 100-continue`.
    public var expectsContinue: Bool
}

/// A request the parser rejected. After any error the connection must be closed, since the parser no
/// longer knows where the next request starts.
public struct HTTPParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// 400, 413, 414, 431, 501 (unsupported Transfer-Encoding) or 505 (unsupported HTTP version).
    public var status: Int
    /// A stable name such as `invalid_header_name` or `content_length_with_transfer_encoding`.
    public var code: String
    public var message: String

    public init(status: Int, code: String, message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public var description: String { "\(status) \(code): \(message)" }
}

public enum HTTPParserEvent: Sendable {
    case head(HTTPRequestHead)
    /// A piece of the body, after chunked decoding.
    case body([UInt8])
    /// The request is complete; the next event belongs to the next request.
    case end
}

/// A strict, incremental HTTP/1.1 request parser (RFC 9112).
///
/// Feed bytes with `append`, then call `next()` until it returns nil (more bytes needed). Bytes after a
/// complete request stay buffered for the next one, which is how pipelining works.
public struct HTTPRequestParser: Sendable {
    public let limits: HTTPParserLimits

    public init(limits: HTTPParserLimits = HTTPParserLimits()) {
        self.limits = limits
    }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        fatalError("HTTPRequestParser is not implemented yet")
    }

    /// The next event, or nil when more input is needed. After a thrown error the parser is finished.
    public mutating func next() throws(HTTPParseError) -> HTTPParserEvent? {
        fatalError("HTTPRequestParser is not implemented yet")
    }

    /// Bytes received but not yet consumed by `next()`.
    public var bufferedByteCount: Int { 0 }

    /// True between a `.head` and its `.end`, and while a partial request is buffered.
    public var isInsideRequest: Bool { false }
}
