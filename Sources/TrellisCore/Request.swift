/// One HTTP request as a function sees it.
///
/// `path` is the part of the target after `/function/{name}`: empty for `/function/hello` and `/a/b` for
/// `/function/hello/a/b`. It is not percent-decoded. `query` is the raw text after `?`, without the `?`.
public struct Request: Sendable {
    /// The method token in upper case as sent, for example `GET`.
    public var method: String
    public var path: String
    public var query: String
    public var headers: Headers
    public var body: [UInt8]
    /// The peer's IP address as text (`127.0.0.1`, `::1`), or `local` for `trellis invoke`.
    public var clientAddress: String

    public init(
        method: String = "GET", path: String = "", query: String = "", headers: Headers = Headers(),
        body: [UInt8] = [], clientAddress: String = "local"
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.clientAddress = clientAddress
    }

    /// The query parameters in order, split on `&` and `=` and percent-decoded (`+` becomes a space).
    public var queryItems: [(name: String, value: String)] {
        guard !query.isEmpty else { return [] }
        return query.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = PercentDecoding.decode(parts[0])
            let value = parts.count > 1 ? PercentDecoding.decode(parts[1]) : ""
            return (name: name, value: value)
        }
    }

    /// The first value of the query parameter `name`, or nil.
    public func queryValue(_ name: String) -> String? {
        queryItems.first { $0.name == name }?.value
    }

    /// The body as UTF-8 text; invalid sequences become U+FFFD.
    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}

enum PercentDecoding {
    static func decode(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"):
                bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                let high = iterator.next()
                let low = iterator.next()
                if let high, let low, let value = hexValue(high, low) {
                    bytes.append(value)
                } else {
                    bytes.append(byte)
                    if let high { bytes.append(high) }
                    if let low { bytes.append(low) }
                }
            default:
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ high: UInt8, _ low: UInt8) -> UInt8? {
        guard let high = nibble(high), let low = nibble(low) else { return nil }
        return high << 4 | low
    }

    private static func nibble(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
