import Glibc

/// Writes compact JSON text into a byte buffer that is kept between uses, without building a jansson
/// tree or an intermediate `String`. The output matches `JSON.serialized()` byte for byte: members in
/// order, no spaces, non-ASCII characters kept as UTF-8, real numbers with 15 significant digits.
///
/// String escaping follows RFC 8259, section 7, as jansson 2.14 writes it. `"` and `\` get a backslash,
/// and U+0008, U+0009, U+000A, U+000C and U+000D get their short escapes. Every other control character
/// below U+0020 becomes `\u00XX` with upper-case hex digits. Everything else is copied as is.
public struct JSONWriter: Sendable {
    /// The text written since the last `removeAll()`, as UTF-8.
    public private(set) var bytes: [UInt8]

    /// Creates a writer whose buffer has room for `capacity` bytes before it grows.
    public init(capacity: Int = 512) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Empties the buffer and keeps its storage.
    public mutating func removeAll() { bytes.removeAll(keepingCapacity: true) }

    /// Appends bytes as they are: punctuation such as `{`, `,` or `\n`, or text already valid as JSON.
    public mutating func appendRaw(_ byte: UInt8) { bytes.append(byte) }

    public mutating func appendRaw(contentsOf text: UnsafeBufferPointer<UInt8>) { bytes.append(contentsOf: text) }

    public mutating func appendRaw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// Appends `value` as JSON text.
    public mutating func append(_ value: JSON) {
        switch value {
        case .null: appendRaw("null")
        case .bool(let flag): appendRaw(flag ? "true" : "false")
        case .int(let number): append(integer: number)
        case .double(let number): append(real: number)
        case .string(let text): append(string: text)
        case .array(let elements):
            bytes.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                append(element)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let members):
            bytes.append(UInt8(ascii: "{"))
            for (index, member) in members.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                append(string: member.key)
                bytes.append(UInt8(ascii: ":"))
                append(member.value)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    /// Appends `text` as a quoted, escaped JSON string.
    public mutating func append(string text: String) {
        var text = text
        bytes.append(UInt8(ascii: "\""))
        text.withUTF8 { utf8 in
            var start = 0
            for index in 0..<utf8.count {
                let byte = utf8[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<index]))
                appendEscape(byte)
                start = index + 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func appendEscape(_ byte: UInt8) {
        bytes.append(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes.append(byte)
        case 0x08: bytes.append(UInt8(ascii: "b"))
        case 0x09: bytes.append(UInt8(ascii: "t"))
        case 0x0A: bytes.append(UInt8(ascii: "n"))
        case 0x0C: bytes.append(UInt8(ascii: "f"))
        case 0x0D: bytes.append(UInt8(ascii: "r"))
        default:
            bytes.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
            bytes.append(Self.upperHexDigits[Int(byte >> 4)])
            bytes.append(Self.upperHexDigits[Int(byte & 0xF)])
        }
    }

    private static let upperHexDigits: [UInt8] = Array("0123456789ABCDEF".utf8)

    /// Appends a decimal integer.
    public mutating func append(integer value: Int64) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        append(unsigned: value.magnitude, minimumDigits: 1)
    }

    /// Appends the decimal digits of `value`, padded with leading zeros to `minimumDigits`.
    public mutating func append(unsigned value: UInt64, minimumDigits: Int) {
        var digits: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)  // 32 bytes, enough for 20 digits
        var count = 0
        var rest = value
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                count += 1
                buffer[32 - count] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            } while rest > 0 || count < minimumDigits
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[(32 - count)...]))
        }
    }

    /// Appends a real number as jansson does with a precision of 15: `%.15g`, then `.0` when the text
    /// has neither a point nor an exponent, and the exponent without `+` or leading zeros. NaN and the
    /// infinities, which JSON cannot express, become `null`.
    public mutating func append(real value: Double) {
        guard value.isFinite else { return appendRaw("null") }
        // Fast path for values with at most three decimals, such as rounded milliseconds: `%.15g` prints
        // those exactly, in fixed notation, without trailing zeros.
        let thousandths = (value * 1000).rounded()
        if thousandths / 1000 == value && thousandths.magnitude < 1e15 && !(value == 0 && value.sign == .minus) {
            let whole = Int64(thousandths) / 1000
            var fraction = (Int64(thousandths) % 1000).magnitude
            if value < 0 { bytes.append(UInt8(ascii: "-")) }
            append(unsigned: whole.magnitude, minimumDigits: 1)
            bytes.append(UInt8(ascii: "."))
            guard fraction != 0 else { return bytes.append(UInt8(ascii: "0")) }
            var width = 3
            while fraction % 10 == 0 {
                fraction /= 10
                width -= 1
            }
            append(unsigned: fraction, minimumDigits: width)
            return
        }
        appendFormattedReal(value)
    }

    private mutating func appendFormattedReal(_ value: Double) {
        var text = [CChar](repeating: 0, count: 32)
        let length = withVaList([value]) { arguments in
            Int(vsnprintf(&text, text.count, "%.15g", arguments))
        }
        let printed = text[0..<min(max(length, 0), text.count - 1)].map { UInt8(bitPattern: $0) }
        guard let exponent = printed.firstIndex(of: UInt8(ascii: "e")) else {
            bytes.append(contentsOf: printed)
            if !printed.contains(UInt8(ascii: ".")) { appendRaw(".0") }
            return
        }
        bytes.append(contentsOf: printed[...exponent])
        var rest = printed[(exponent + 1)...]
        if rest.first == UInt8(ascii: "+") { rest = rest.dropFirst() }
        if rest.first == UInt8(ascii: "-") {
            bytes.append(UInt8(ascii: "-"))
            rest = rest.dropFirst()
        }
        while rest.count > 1 && rest.first == UInt8(ascii: "0") { rest = rest.dropFirst() }
        bytes.append(contentsOf: rest)
    }
}
