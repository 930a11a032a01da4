import Foundation

/// One HTTP response from a function or a decorator.
///
/// The gateway adds `Content-Length`, `Date`, `Connection` and `X-Request-Id`; a function should not set
/// them. A `Transfer-Encoding` set here is removed, since Trellis always sends a body with a known length.
public struct Response: Sendable {
    public var status: Int
    public var headers: Headers
    public var body: [UInt8]

    /// Fields reserved in the headers `text` and `json` make: their `Content-Type` plus the two a
    /// rate-limit decorator adds, so that decorated responses do not regrow the array.
    static let reservedFieldCount = 3

    public init(status: Int = 200, headers: Headers = Headers(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// Makes a `text/plain; charset=utf-8` response.
    public static func text(_ text: String, status: Int = 200) -> Response {
        var headers = Headers()
        headers.reserveCapacity(reservedFieldCount)
        headers.add("Content-Type", "text/plain; charset=utf-8")
        return Response(status: status, headers: headers, body: Array(text.utf8))
    }

    /// Makes an `application/json` response of `value` encoded with Foundation's `JSONEncoder`.
    public static func json<Value: Encodable>(_ value: Value, status: Int = 200) throws -> Response {
        let data = try CodableSupport.encoder.encode(value)
        return json(bytes: Array(data), status: status)
    }

    /// Makes an `application/json` response of a `JSON` value.
    public static func json(_ value: JSON, status: Int = 200) -> Response {
        json(bytes: Array(value.serialized().utf8), status: status)
    }

    /// Makes an `application/json` response whose body is already encoded.
    public static func json(bytes: [UInt8], status: Int = 200) -> Response {
        var headers = Headers()
        headers.reserveCapacity(reservedFieldCount)
        headers.add("Content-Type", "application/json")
        return Response(status: status, headers: headers, body: bytes)
    }

    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}

enum CodableSupport {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
    static let decoder = JSONDecoder()
}
