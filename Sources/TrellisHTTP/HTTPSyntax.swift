/// Byte classes of the HTTP grammar (RFC 9110 section 5.6, RFC 9112 section 2).
public enum HTTPSyntax {
    static let cr = UInt8(ascii: "\r")
    static let lf = UInt8(ascii: "\n")
    static let space = UInt8(ascii: " ")
    static let tab = UInt8(ascii: "\t")
    static let colon = UInt8(ascii: ":")
    static let semicolon = UInt8(ascii: ";")
    static let comma = UInt8(ascii: ",")
    static let equals = UInt8(ascii: "=")
    static let quote = UInt8(ascii: "\"")
    static let backslash = UInt8(ascii: "\\")

    /// `tchar` of RFC 9110 section 5.6.2: the bytes of a token such as a method or field name.
    /// ALPHA, DIGIT and ``!#$%&'*+-.^_`|~``, tested as one bit of a 128-bit set.
    @inlinable @inline(__always)
    public static func isTokenByte(_ byte: UInt8) -> Bool {
        // Bit n of `low` is byte n (0 to 63), bit n of `high` is byte 64 + n. HTTPSyntaxTests checks every
        // byte against the grammar.
        let low: UInt64 = 0x03FF_6CFA_0000_0000
        let high: UInt64 = 0x57FF_FFFF_C7FF_FFFE
        let word = byte < 64 ? low : high
        return byte < 128 && (word >> UInt64(byte & 63)) & 1 != 0
    }

    /// SP or HTAB, the `OWS` bytes of RFC 9110 section 5.6.3.
    @inline(__always)
    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == space || byte == tab
    }

    /// A byte allowed in a field value: VCHAR, obs-text, SP or HTAB (RFC 9110 section 5.5). Every other
    /// control byte, NUL and DEL included, is rejected.
    @inline(__always)
    static func isFieldValueByte(_ byte: UInt8) -> Bool {
        byte == tab || (byte >= 0x20 && byte != 0x7F)
    }

    /// A byte allowed in a request target: visible ASCII only, so no control byte, space, DEL or
    /// byte of 0x80 and above (RFC 3986 section 2 characters, RFC 9112 section 3.2).
    @inline(__always)
    static func isTargetByte(_ byte: UInt8) -> Bool {
        byte > 0x20 && byte < 0x7F
    }

    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    @inline(__always)
    static func isAlpha(_ byte: UInt8) -> Bool {
        (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z")
    }

    /// The value of a hexadecimal digit (either case), or nil.
    @inline(__always)
    static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return Int(byte - UInt8(ascii: "a")) + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return Int(byte - UInt8(ascii: "A")) + 10
        default: return nil
        }
    }

    /// True when `bytes` is a token (RFC 9110 section 5.6.2): one or more `tchar`. Eight bytes at a
    /// time; only the bytes of a word that are not letters, digits or `-` are tested one by one.
    public static func isToken(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return false }
        let count = bytes.count
        guard count >= 8 else {
            for byte in bytes where !isTokenByte(byte) { return false }
            return true
        }
        let raw = UnsafeRawPointer(base)
        // Whole words, then the last 8 bytes, which may overlap the previous word.
        var offset = 0
        while true {
            let word = loadWord(raw, offset)
            guard word & highBits == 0 else { return false }
            var others = ~lettersDigitsAndDashes(word) & highBits
            while others != 0 {
                if !isTokenByte(bytes[offset + others.trailingZeroBitCount >> 3]) { return false }
                others &= others - 1
            }
            if offset == count - 8 { return true }
            offset = min(offset + 8, count - 8)
        }
    }

    /// The 8 bytes at `offset`, the first in the lowest bits.
    @inline(__always)
    static func loadWord(_ raw: UnsafeRawPointer, _ offset: Int) -> UInt64 {
        UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    static let highBits: UInt64 = 0x8080_8080_8080_8080
    static let lowBits: UInt64 = 0x0101_0101_0101_0101

    /// The high bit of each byte of `word` that lies in `low...high`, which are at most 0x7F. Only valid
    /// when no byte of `word` has its high bit set: adding 0x80 - low sets a byte's high bit exactly
    /// when the byte is at least `low`, adding 0x7F - high sets it exactly when the byte is above
    /// `high`, and then no sum carries into the next byte.
    @inline(__always)
    static func inRange(_ word: UInt64, _ low: UInt64, _ high: UInt64) -> UInt64 {
        (word &+ (0x80 - low) &* lowBits) & ~(word &+ (0x7F - high) &* lowBits) & highBits
    }

    /// The high bit of each zero byte of `word`, exact for the lowest zero byte; a byte above a zero
    /// byte may be marked too.
    @inline(__always)
    static func zeroBytes(_ word: UInt64) -> UInt64 {
        (word &- lowBits) & ~word & highBits
    }

    /// The high bit of each byte of `word` that is an ASCII letter, digit or `-`. Only valid when no byte
    /// of `word` has its high bit set.
    @inline(__always)
    static func lettersDigitsAndDashes(_ word: UInt64) -> UInt64 {
        // Setting bit 5 maps A-Z onto a-z and nothing else onto a-z.
        inRange(word | 0x2020_2020_2020_2020, 0x61, 0x7A) | inRange(word, 0x30, 0x39) | inRange(word, 0x2D, 0x2D)
    }

    /// The index of the first CR or LF in `bytes` at or after `start`, or `bytes.count`.
    static func indexOfLineBreak(in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        let count = bytes.count
        guard start < count, let base = bytes.baseAddress else { return count }
        let raw = UnsafeRawPointer(base)
        var offset = start
        while offset + 8 <= count {
            let word = loadWord(raw, offset)
            let found = zeroBytes(word ^ 0x0D0D_0D0D_0D0D_0D0D) | zeroBytes(word ^ 0x0A0A_0A0A_0A0A_0A0A)
            if found != 0 { return offset + found.trailingZeroBitCount >> 3 }
            offset += 8
        }
        while offset < count {
            if bytes[offset] == cr || bytes[offset] == lf { return offset }
            offset += 1
        }
        return count
    }

    /// The index of the first byte at or after `start` that is not a `tchar`, or `bytes.count`.
    ///
    /// Eight bytes at a time while they are letters, digits and `-`, as in most field names and
    /// methods; the first other byte is tested alone, and the scan goes on after it when it is a `tchar`
    /// such as `_` or `.`.
    static func endOfToken(in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        let count = bytes.count
        guard let base = bytes.baseAddress else { return start }
        let raw = UnsafeRawPointer(base)
        var index = start
        while index < count {
            while index + 8 <= count {
                let word = loadWord(raw, index)
                guard word & highBits == 0 else { break }
                let others = ~lettersDigitsAndDashes(word) & highBits
                if others == 0 {
                    index += 8
                } else {
                    index += others.trailingZeroBitCount >> 3
                    break
                }
            }
            guard index < count, isTokenByte(bytes[index]) else { return index }
            index += 1
        }
        return index
    }

    /// The index of the first byte at or after `start` that is not allowed in a request target
    /// (`isTargetByte`), or `bytes.count`.
    static func endOfTarget(in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        let count = bytes.count
        var index = start
        if let base = bytes.baseAddress {
            let raw = UnsafeRawPointer(base)
            while index + 8 <= count {
                let word = loadWord(raw, index)
                guard word & highBits == 0 else { break }
                let outside = ~inRange(word, 0x21, 0x7E) & highBits
                if outside != 0 { return index + outside.trailingZeroBitCount >> 3 }
                index += 8
            }
        }
        while index < count && isTargetByte(bytes[index]) { index += 1 }
        return index
    }

    /// Checks that every byte of a field value is allowed (`isFieldValueByte`). Returns nil when one is
    /// not, else whether all of them are ASCII.
    public static func checkFieldValue(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool? {
        let count = bytes.count
        guard count >= 8, let base = bytes.baseAddress else {
            var high: UInt8 = 0
            for byte in bytes {
                guard isFieldValueByte(byte) else { return nil }
                high |= byte
            }
            return high < 0x80
        }
        let raw = UnsafeRawPointer(base)
        var high: UInt64 = 0
        // Whole words, then the last 8 bytes, which may overlap the previous word.
        var offset = 0
        while true {
            let word = loadWord(raw, offset)
            high |= word
            // Bytes below 0x20 (HTAB among them) and DEL; a byte of 0x80 or more marks nothing.
            let suspect = ((word &- 0x2020_2020_2020_2020) & ~word & highBits) | zeroBytes(word ^ 0x7F7F_7F7F_7F7F_7F7F)
            if suspect != 0 {
                for index in offset..<(offset + 8) where !isFieldValueByte(bytes[index]) { return nil }
            }
            if offset == count - 8 { return high & highBits == 0 }
            offset = min(offset + 8, count - 8)
        }
    }

    /// Makes a String of bytes that are known to be ASCII when `ascii` is true. Up to 15 ASCII bytes
    /// become a small string without a UTF-8 check; anything else goes through `String(decoding:)`,
    /// which replaces invalid UTF-8 with U+FFFD.
    static func string(_ bytes: UnsafeBufferPointer<UInt8>, ascii: Bool) -> String {
        let count = bytes.count
        guard ascii, count <= 15, let base = bytes.baseAddress else { return String(decoding: bytes, as: UTF8.self) }
        return String(unsafeUninitializedCapacity: count) { target in
            target.baseAddress!.update(from: base, count: count)
            return count
        }
    }

    /// True when `bytes` are the bytes of `literal`, compared with a few overlapping loads.
    @inline(__always)
    static func equals(_ bytes: UnsafeBufferPointer<UInt8>, _ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard bytes.count == count else { return false }
        guard count > 0, let base = bytes.baseAddress else { return count == 0 }
        let left = UnsafeRawPointer(base)
        let right = UnsafeRawPointer(literal.utf8Start)
        @inline(__always) func same<Word: FixedWidthInteger>(_ offset: Int, _ type: Word.Type) -> Bool {
            left.loadUnaligned(fromByteOffset: offset, as: Word.self) == right.loadUnaligned(fromByteOffset: offset, as: Word.self)
        }
        if count >= 8 {
            var offset = 0
            while offset + 8 < count {
                if !same(offset, UInt64.self) { return false }
                offset += 8
            }
            return same(count - 8, UInt64.self)
        }
        if count >= 4 { return same(0, UInt32.self) && same(count - 4, UInt32.self) }
        if count >= 2 { return same(0, UInt16.self) && same(count - 2, UInt16.self) }
        return same(0, UInt8.self)
    }

    /// The name of a header field as a String. Common names in their usual spellings (as browsers,
    /// curl and proxies send them, capitalized or lowercase) are literals, which costs neither a copy
    /// nor, for names over 15 bytes, an allocation; any other name is copied.
    static func fieldName(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        @inline(__always) func matches(_ name: StaticString) -> Bool { equals(bytes, name) }
        switch bytes.count {
        case 4:
            if matches("Host") { return "Host" }
            if matches("host") { return "host" }
        case 6:
            if matches("Accept") { return "Accept" }
            if matches("accept") { return "accept" }
            if matches("Cookie") { return "Cookie" }
            if matches("cookie") { return "cookie" }
            if matches("Origin") { return "Origin" }
            if matches("origin") { return "origin" }
            if matches("Expect") { return "Expect" }
        case 7:
            if matches("Referer") { return "Referer" }
            if matches("referer") { return "referer" }
        case 9:
            if matches("X-API-Key") { return "X-API-Key" }
            if matches("x-api-key") { return "x-api-key" }
        case 10:
            if matches("User-Agent") { return "User-Agent" }
            if matches("user-agent") { return "user-agent" }
            if matches("Connection") { return "Connection" }
            if matches("connection") { return "connection" }
        case 12:
            if matches("Content-Type") { return "Content-Type" }
            if matches("content-type") { return "content-type" }
            if matches("X-Request-Id") { return "X-Request-Id" }
            if matches("x-request-id") { return "x-request-id" }
        case 13:
            if matches("Authorization") { return "Authorization" }
            if matches("authorization") { return "authorization" }
            if matches("Cache-Control") { return "Cache-Control" }
            if matches("cache-control") { return "cache-control" }
            if matches("If-None-Match") { return "If-None-Match" }
        case 14:
            if matches("Content-Length") { return "Content-Length" }
            if matches("content-length") { return "content-length" }
        case 15:
            if matches("Accept-Encoding") { return "Accept-Encoding" }
            if matches("accept-encoding") { return "accept-encoding" }
            if matches("Accept-Language") { return "Accept-Language" }
            if matches("accept-language") { return "accept-language" }
            if matches("X-Forwarded-For") { return "X-Forwarded-For" }
            if matches("x-forwarded-for") { return "x-forwarded-for" }
            if matches("Idempotency-Key") { return "Idempotency-Key" }
        case 17:
            if matches("Transfer-Encoding") { return "Transfer-Encoding" }
            if matches("transfer-encoding") { return "transfer-encoding" }
            if matches("X-Forwarded-Proto") { return "X-Forwarded-Proto" }
            if matches("x-forwarded-proto") { return "x-forwarded-proto" }
            if matches("If-Modified-Since") { return "If-Modified-Since" }
        default:
            break
        }
        return string(bytes, ascii: true)
    }

    /// A byte allowed in a Host value: unreserved, percent-encoded, sub-delims, `:` and the brackets of
    /// an IP literal (RFC 3986 section 3.2).
    @inline(__always)
    static func isHostByte(_ byte: UInt8) -> Bool {
        // Bit n of `low` is byte n (0 to 63), bit n of `high` is byte 64 + n.
        let low: UInt64 = 0x2FFF_7FF2_0000_0000
        let high: UInt64 = 0x47FF_FFFE_AFFF_FFFE
        let word = byte < 64 ? low : high
        return byte < 128 && (word >> UInt64(byte & 63)) & 1 != 0
    }

    /// Compares bytes with a lowercase ASCII word, folding ASCII letters only.
    static func equalsIgnoringCase(_ bytes: UnsafeBufferPointer<UInt8>, _ lowercaseWord: StaticString) -> Bool {
        guard bytes.count == lowercaseWord.utf8CodeUnitCount else { return false }
        let word = lowercaseWord.utf8Start
        for index in 0..<bytes.count {
            let byte = bytes[index]
            let folded = isAlpha(byte) ? byte | 0x20 : byte
            if folded != word[index] { return false }
        }
        return true
    }

    /// The bytes without leading and trailing SP and HTAB.
    @inline(__always)
    static func trimmingWhitespace(_ bytes: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        var start = 0
        var end = bytes.count
        while start < end && isWhitespace(bytes[start]) { start += 1 }
        while end > start && isWhitespace(bytes[end - 1]) { end -= 1 }
        return UnsafeBufferPointer(rebasing: bytes[start..<end])
    }

    /// Compares bytes with a lowercase ASCII word, folding ASCII letters only.
    static func equalsIgnoringCase(_ bytes: ArraySlice<UInt8>, _ lowercaseWord: StaticString) -> Bool {
        guard bytes.count == lowercaseWord.utf8CodeUnitCount else { return false }
        return lowercaseWord.withUTF8Buffer { word in
            var wordIndex = 0
            for byte in bytes {
                let folded = isAlpha(byte) ? byte | 0x20 : byte
                if folded != word[wordIndex] { return false }
                wordIndex += 1
            }
            return true
        }
    }

    /// The bytes without leading and trailing SP and HTAB.
    static func trimmingWhitespace(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var start = bytes.startIndex
        var end = bytes.endIndex
        while start < end && isWhitespace(bytes[start]) { start += 1 }
        while end > start && isWhitespace(bytes[end - 1]) { end -= 1 }
        return bytes[start..<end]
    }

    /// Splits a comma-separated list value (RFC 9110 section 5.6.1) into elements trimmed of OWS. Empty
    /// elements are kept, so callers decide whether to ignore or reject them.
    static func listElements(_ value: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        value.split(separator: comma, omittingEmptySubsequences: false).map(trimmingWhitespace)
    }
}
