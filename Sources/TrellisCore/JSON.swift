import CJansson
import Glibc

/// A JSON value, parsed and serialized by jansson.
///
/// Objects keep their members in document order. Parsing rejects duplicate keys, since a JSON text with
/// two `exp` members or two `port` members has no single meaning (RFC 8259, section 4, leaves it open).
public enum JSON: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSON])
    case object([(key: String, value: JSON)])

    /// A valid pointer for jansson calls on empty input, where a buffer's base address is nil.
    nonisolated(unsafe) fileprivate static let emptyCString = UnsafeRawPointer(("" as StaticString).utf8Start).assumingMemoryBound(to: CChar.self)

    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public let message: String
        public let line: Int
        public let column: Int
        public var description: String { "invalid JSON at line \(line), column \(column): \(message)" }
    }

    /// Parses one JSON text of any type (not only objects and arrays).
    public static func parse(_ bytes: some Collection<UInt8>) throws(ParseError) -> JSON {
        var error = json_error_t()
        let flags = JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL
        let root: UnsafeMutablePointer<json_t>? = Array(bytes).withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                json_loadb(chars.baseAddress ?? JSON.emptyCString, chars.count, size_t(flags), &error)
            }
        }
        guard let root else {
            let message = withUnsafeBytes(of: error.text) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            throw ParseError(message: message, line: Int(error.line), column: Int(error.column))
        }
        defer { trellis_json_decref(root) }
        return JSON(jansson: root)
    }

    public static func parse(_ text: String) throws(ParseError) -> JSON {
        try parse(Array(text.utf8))
    }

    private init(jansson value: UnsafeMutablePointer<json_t>) {
        switch json_type(rawValue: UInt32(trellis_json_typeof(value))) {
        case JSON_OBJECT:
            var members: [(key: String, value: JSON)] = []
            var iterator = json_object_iter(value)
            while let current = iterator {
                let key = String(cString: json_object_iter_key(current))
                members.append((key: key, value: JSON(jansson: json_object_iter_value(current))))
                iterator = json_object_iter_next(value, current)
            }
            self = .object(members)
        case JSON_ARRAY:
            self = .array((0..<json_array_size(value)).map { JSON(jansson: json_array_get(value, $0)) })
        case JSON_STRING:
            let length = json_string_length(value)
            let pointer = UnsafeRawPointer(json_string_value(value)!)
            self = .string(String(decoding: UnsafeRawBufferPointer(start: pointer, count: length), as: UTF8.self))
        case JSON_INTEGER:
            self = .int(Int64(json_integer_value(value)))
        case JSON_REAL:
            self = .double(json_real_value(value))
        case JSON_TRUE:
            self = .bool(true)
        case JSON_FALSE:
            self = .bool(false)
        default:
            self = .null
        }
    }

    /// Builds a jansson value. The caller owns the returned reference and releases it with `json_decref`.
    private func makeJansson() -> UnsafeMutablePointer<json_t> {
        switch self {
        case .null:
            return json_null()
        case .bool(let value):
            return value ? json_true() : json_false()
        case .int(let value):
            return json_integer(json_int_t(value))
        case .double(let value):
            return json_real(value) ?? json_null()
        case .string(let value):
            var value = value
            return value.withUTF8 { utf8 in
                utf8.withMemoryRebound(to: CChar.self) { chars in
                    json_stringn_nocheck(chars.baseAddress ?? JSON.emptyCString, chars.count)
                }
            }
        case .array(let elements):
            let array = json_array()!
            for element in elements { json_array_append_new(array, element.makeJansson()) }
            return array
        case .object(let members):
            let object = json_object()!
            for member in members {
                var key = member.key
                key.withUTF8 { utf8 in
                    utf8.withMemoryRebound(to: CChar.self) { chars in
                        _ = json_object_setn_new_nocheck(object, chars.baseAddress ?? JSON.emptyCString, chars.count, member.value.makeJansson())
                    }
                }
            }
            return object
        }
    }

    /// Compact JSON text: no spaces, members in order, non-ASCII characters kept as UTF-8. Real numbers
    /// get 15 significant digits, so 0.038 prints as 0.038 and not 0.037999999999999999; a value that
    /// needs all 17 digits to round-trip loses its last bits.
    public func serialized(pretty: Bool = false) -> String {
        let value = makeJansson()
        defer { trellis_json_decref(value) }
        var flags = size_t(JSON_ENCODE_ANY | JSON_PRESERVE_ORDER)
        flags |= pretty ? trellis_json_format_flags(2, 15) : size_t(JSON_COMPACT) | trellis_json_format_flags(0, 15)
        guard let text = json_dumps(value, flags) else { return "null" }
        defer { free(text) }
        return String(cString: text)
    }

    // MARK: Access

    public subscript(key: String) -> JSON? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The value as an integer; a double with no fractional part counts.
    public var intValue: Int64? {
        switch self {
        case .int(let value): return value
        case .double(let value) where value.rounded() == value && abs(value) < 9.0e18: return Int64(value)
        default: return nil
        }
    }

    public var doubleValue: Double? {
        switch self {
        case .int(let value): return Double(value)
        case .double(let value): return value
        default: return nil
        }
    }

    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    public var arrayValue: [JSON]? {
        if case .array(let value) = self { return value }
        return nil
    }

    public var objectValue: [(key: String, value: JSON)]? {
        if case .object(let value) = self { return value }
        return nil
    }

    /// The JSON type name used in error messages: `object`, `array`, `string`, `number`, `boolean`, `null`.
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .int, .double: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    public static func == (lhs: JSON, rhs: JSON) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.int(let a), .int(let b)): return a == b
        case (.double(let a), .double(let b)): return a == b
        case (.int(let a), .double(let b)), (.double(let b), .int(let a)): return Double(a) == b
        case (.string(let a), .string(let b)): return a == b
        case (.array(let a), .array(let b)): return a == b
        case (.object(let a), .object(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }
}

extension JSON: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral, ExpressibleByFloatLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(arrayLiteral elements: JSON...) { self = .array(elements) }
    public init(nilLiteral: ()) { self = .null }
    public init(dictionaryLiteral elements: (String, JSON)...) {
        self = .object(elements.map { (key: $0.0, value: $0.1) })
    }
}
