import TrellisCore

/// The source of a rate limit's key: each distinct key value gets its own token bucket.
///
/// Bucket keys are built so that values from different sources never collide. A client address
/// (`127.0.0.1`, `::1`, `local`) is used as is. A principal id is prefixed with `p:`, a header
/// value with `h:`, a hashed long header value with `h#` and a trigger name with `t:`. No address
/// starts with these prefixes, since addresses hold only hexadecimal digits, `.` and `:`, or are the
/// word `local`.
public enum RateLimitKey: Sendable, Equatable {
    /// The peer's IP address, `request.clientAddress`.
    case client
    /// The authenticated principal's id, `context.principal?.id`. A request with no principal (an
    /// open function, or a chain where auth runs after the limit) counts against its client address,
    /// so unauthenticated traffic is still limited.
    case principal
    /// The first value of the named request header field, for example a tenant id. A request without
    /// the field counts against its client address. Values longer than `maxHeaderValueBytes` are
    /// replaced by a 64-bit hash of the value, which bounds the memory per key.
    case header(String)
    /// One bucket for the whole function (`context.functionName`), shared by every caller.
    case function

    /// The maximum length of a header value used as a key verbatim, in UTF-8 bytes.
    public static let maxHeaderValueBytes = 128

    /// The short form used in the decorator name and as the default policy name: `client`,
    /// `principal`, `header:X-Tenant` or `function`.
    public var label: String {
        switch self {
        case .client: return "client"
        case .principal: return "principal"
        case .header(let name): return "header:\(name)"
        case .function: return "function"
        }
    }

    /// Returns the bucket key of one request.
    public func bucketKey(for request: Request, context: Context) -> String {
        switch self {
        case .client:
            return request.clientAddress
        case .principal:
            guard let id = context.principal?.id else { return request.clientAddress }
            return "p:" + id
        case .header(let name):
            guard let value = request.headers[name] else { return request.clientAddress }
            guard value.utf8.count <= Self.maxHeaderValueBytes else {
                // Hasher is SipHash with a per-process random seed, so a sender cannot choose values
                // that collide. The hash differs between processes, which a bucket key can tolerate.
                let hash = UInt64(bitPattern: Int64(value.hashValue))
                return "h#" + String(hash, radix: 16)
            }
            return "h:" + value
        case .function:
            return context.functionName
        }
    }

    /// Returns the bucket key of one batch invocation, which has no client address and no header
    /// fields: `principal` uses the trigger's principal (`context.principal`, `trigger:<name>` as the
    /// worker sets it, else built from `batch.trigger`), `client` and `header` use the trigger name, and
    /// `function` the function's bucket, which batches then share with HTTP requests.
    public func bucketKey(for batch: Batch, context: Context) -> String {
        switch self {
        case .principal:
            return "p:" + (context.principal?.id ?? "trigger:" + batch.trigger)
        case .client, .header:
            return "t:" + batch.trigger
        case .function:
            return context.functionName
        }
    }

    /// True when `name` is a valid HTTP field name: a non-empty token of RFC 9110, section 5.6.2.
    public static func isValidHeaderName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                return true
            default:
                return Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
            }
        }
    }
}
