import Glibc

/// Writes compact JSON text into a byte buffer that is kept between uses, without building a jansson
/// tree or an intermediate `String`. The output matches `JSON.serialized()` byte for byte: members in
/// order, no spaces, non-ASCII characters kept as UTF-8, real numbers with 15 significant digits.
///
/// String escaping follows RFC 8259, section 7, as jansson 2.14 writes it. `"` and `\` get a backslash,
/// and U+0008, U+0009, U+000A, U+000C and U+000D get their short escapes. Every other control character
/// below U+0020 becomes `\u00XX` with upper-case hex digits. Everything else is copied as is.
public struct JSONWriter: Sendable {
    /// Storage whose first `count` bytes are the text. The rest is zero-filled room, so that appends
    /// write through a pointer instead of calling `Array.append` for every piece.
    private var storage: [UInt8]
    /// The number of bytes written since the last `removeAll()`.
    public private(set) var count = 0

    /// The text written since the last `removeAll()`, as UTF-8. Builds a new array on each use; the
    /// sink reads the text with `withUnsafeBytes(_:)` instead.
    public var bytes: [UInt8] { Array(storage[0..<count]) }

    /// Creates a writer whose buffer has room for `capacity` bytes before it grows.
    public init(capacity: Int = 512) {
        storage = [UInt8](repeating: 0, count: Swift.max(capacity, 64))
    }

    /// Empties the buffer and keeps its storage.
    public mutating func removeAll() { count = 0 }

    /// Drops the text after the first `newCount` bytes, such as a line that is written another way.
    mutating func truncate(to newCount: Int) {
        precondition(newCount >= 0 && newCount <= count, "truncate(to: \(newCount)) outside 0...\(count)")
        count = newCount
    }

    /// Calls `body` with the text written so far.
    public func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try storage.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
    }

    /// Makes room for `reserved` more bytes, then calls `body` with the address of the first free byte.
    /// `body` returns how many bytes it wrote, at most `reserved`.
    @inline(__always)
    private mutating func write(reserving reserved: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Int) {
        if storage.count - count < reserved { grow(toFit: reserved) }
        let start = count
        let written = storage.withUnsafeMutableBufferPointer { body($0.baseAddress! + start) }
        count = start + written
    }

    /// Grows the storage to at least twice its size and to room for `reserved` more bytes.
    private mutating func grow(toFit reserved: Int) {
        let target = Swift.max(storage.count * 2, count + reserved)
        storage.append(contentsOf: repeatElement(0, count: target - storage.count))
    }

    /// Appends bytes as they are: punctuation such as `{`, `,` or `\n`, or text already valid as JSON.
    public mutating func appendRaw(_ byte: UInt8) {
        write(reserving: 1) { output in
            output.pointee = byte
            return 1
        }
    }

    public mutating func appendRaw(contentsOf text: UnsafeBufferPointer<UInt8>) {
        guard let source = text.baseAddress, !text.isEmpty else { return }
        write(reserving: text.count) { output in
            output.update(from: source, count: text.count)
            return text.count
        }
    }

    public mutating func appendRaw(_ text: StaticString) {
        text.withUTF8Buffer { appendRaw(contentsOf: $0) }
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
            appendRaw(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { appendRaw(UInt8(ascii: ",")) }
                append(element)
            }
            appendRaw(UInt8(ascii: "]"))
        case .object(let members):
            appendRaw(UInt8(ascii: "{"))
            for (index, member) in members.enumerated() {
                if index > 0 { appendRaw(UInt8(ascii: ",")) }
                append(string: member.key)
                appendRaw(UInt8(ascii: ":"))
                append(member.value)
            }
            appendRaw(UInt8(ascii: "}"))
        }
    }

    /// Appends `text` as a quoted, escaped JSON string.
    public mutating func append(string text: String) {
        var text = text
        text.withUTF8 { append(quoting: $0) }
    }

    /// Appends `utf8` quoted and escaped. The text is scanned eight bytes at a time for a byte that needs
    /// an escape, and the runs between such bytes are copied whole.
    private mutating func append(quoting utf8: UnsafeBufferPointer<UInt8>) {
        let length = utf8.count
        guard let source = utf8.baseAddress else {
            return write(reserving: 2) { output in
                output[0] = UInt8(ascii: "\"")
                output[1] = UInt8(ascii: "\"")
                return 2
            }
        }
        var escapedLength = length
        var index = Self.indexOfEscape(in: source, from: 0, count: length)
        let firstEscape = index
        while index < length {
            escapedLength += Self.escapeLength(source[index]) - 1
            index = Self.indexOfEscape(in: source, from: index + 1, count: length)
        }
        write(reserving: escapedLength + 2) { output in
            output[0] = UInt8(ascii: "\"")
            var written = 1
            var runStart = 0
            var index = firstEscape
            while index < length {
                (output + written).update(from: source + runStart, count: index - runStart)
                written += index - runStart
                written += Self.writeEscape(source[index], to: output + written)
                runStart = index + 1
                index = Self.indexOfEscape(in: source, from: runStart, count: length)
            }
            (output + written).update(from: source + runStart, count: length - runStart)
            written += length - runStart
            output[written] = UInt8(ascii: "\"")
            return written + 1
        }
    }

    /// Returns the index of the first byte at or after `start` that needs an escape (below U+0020, `"` or `\`),
    /// or `count` when there is none.
    private static func indexOfEscape(in text: UnsafePointer<UInt8>, from start: Int, count: Int) -> Int {
        var index = start
        while index + 8 <= count {
            if hasEscape(UnsafeRawPointer(text + index).loadUnaligned(as: UInt64.self)) { break }
            index += 8
        }
        // The bytes left are fewer than 8, or a word with a match. Short strings (most keys and values)
        // and tails are tested with overlapping word loads inside the text before the byte loop.
        let left = count - index
        if left > 0 && left < 8 {
            if count - start >= 8 {
                if !hasEscape(UnsafeRawPointer(text + count - 8).loadUnaligned(as: UInt64.self)) { return count }
            } else if left >= 4 {
                let head = UInt64(UnsafeRawPointer(text + index).loadUnaligned(as: UInt32.self))
                let tail = UInt64(UnsafeRawPointer(text + count - 4).loadUnaligned(as: UInt32.self))
                // Both halves in one word; neither half is zero-padded, so no false match appears.
                if !hasEscape(head | tail << 32) { return count }
            }
        }
        while index < count && !needsEscape(text[index]) { index += 1 }
        return index
    }

    /// Returns true when a byte of `word` is below 0x20, `"` or `\`. A byte below 0x20 sets its high
    /// bit in `(word - 0x20…) & ~word`, and a zero byte of `word ^ pattern` does the same in
    /// `(x - 0x01…) & ~x`. A borrow can set a bit above a true match, but never one without a match,
    /// so the test for "any" is exact.
    @inline(__always)
    private static func hasEscape(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let quote = word ^ (ones &* UInt64(UInt8(ascii: "\"")))
        let backslash = word ^ (ones &* UInt64(UInt8(ascii: "\\")))
        let control = (word &- ones &* 0x20) & ~word
        let quoteHit = (quote &- ones) & ~quote
        let backslashHit = (backslash &- ones) & ~backslash
        return (control | quoteHit | backslashHit) & 0x8080_8080_8080_8080 != 0
    }

    @inline(__always)
    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }

    /// Returns the number of bytes `writeEscape` writes for `byte`: 2 for a short escape, 6 for `\u00XX`.
    private static func escapeLength(_ byte: UInt8) -> Int {
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), 0x08, 0x09, 0x0A, 0x0C, 0x0D: return 2
        default: return 6
        }
    }

    /// Writes the escape for `byte` at `output`; returns its length.
    private static func writeEscape(_ byte: UInt8, to output: UnsafeMutablePointer<UInt8>) -> Int {
        output[0] = UInt8(ascii: "\\")
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): output[1] = byte
        case 0x08: output[1] = UInt8(ascii: "b")
        case 0x09: output[1] = UInt8(ascii: "t")
        case 0x0A: output[1] = UInt8(ascii: "n")
        case 0x0C: output[1] = UInt8(ascii: "f")
        case 0x0D: output[1] = UInt8(ascii: "r")
        default:
            output[1] = UInt8(ascii: "u")
            output[2] = UInt8(ascii: "0")
            output[3] = UInt8(ascii: "0")
            output[4] = upperHexDigit(byte >> 4)
            output[5] = upperHexDigit(byte & 0xF)
            return 6
        }
        return 2
    }

    @inline(__always)
    private static func upperHexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "A") + nibble - 10
    }

    /// Appends a decimal integer.
    public mutating func append(integer value: Int64) {
        if value < 0 { appendRaw(UInt8(ascii: "-")) }
        append(unsigned: value.magnitude, minimumDigits: 1)
    }

    /// Appends the decimal digits of `value`, padded with leading zeros to `minimumDigits`.
    public mutating func append(unsigned value: UInt64, minimumDigits: Int) {
        var digitCount = 1
        var rest = value / 10
        while rest > 0 {
            digitCount += 1
            rest /= 10
        }
        let width = Swift.max(digitCount, minimumDigits)
        write(reserving: width) { output in
            var rest = value
            for index in stride(from: width - 1, through: 0, by: -1) {
                output[index] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: rest % 10)
                rest /= 10
            }
            return width
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
            if value < 0 { appendRaw(UInt8(ascii: "-")) }
            append(unsigned: whole.magnitude, minimumDigits: 1)
            appendRaw(UInt8(ascii: "."))
            guard fraction != 0 else { return appendRaw(UInt8(ascii: "0")) }
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
            printed.withUnsafeBufferPointer { appendRaw(contentsOf: $0) }
            if !printed.contains(UInt8(ascii: ".")) { appendRaw(".0") }
            return
        }
        printed[...exponent].withUnsafeBufferPointer { appendRaw(contentsOf: $0) }
        var rest = printed[(exponent + 1)...]
        if rest.first == UInt8(ascii: "+") { rest = rest.dropFirst() }
        if rest.first == UInt8(ascii: "-") {
            appendRaw(UInt8(ascii: "-"))
            rest = rest.dropFirst()
        }
        while rest.count > 1 && rest.first == UInt8(ascii: "0") { rest = rest.dropFirst() }
        rest.withUnsafeBufferPointer { appendRaw(contentsOf: $0) }
    }
}
