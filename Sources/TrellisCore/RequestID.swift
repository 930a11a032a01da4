import Synchronization

/// Request ids: an incoming `X-Request-Id` is kept when valid, otherwise one is generated.
public enum RequestID {
    /// The longest incoming id that is kept, in bytes.
    public static let maxLength = 128

    /// True for 1 to 128 bytes of ASCII letters, digits and `-`, `_`, `.`, `:`. Anything else (spaces,
    /// quotes, control bytes) could break a log line or a header, so such an id is replaced.
    public static func isValid(_ id: String) -> Bool {
        let utf8 = id.utf8
        guard !utf8.isEmpty, utf8.count <= maxLength else { return false }
        return utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"),
                UInt8(ascii: "."), UInt8(ascii: ":"):
                return true
            default:
                return false
            }
        }
    }

    /// The incoming id when valid, else a new one.
    public static func resolve(incoming: String?) -> String {
        if let incoming, isValid(incoming) { return incoming }
        return generate()
    }

    private static let counter = Atomic<UInt64>(0)
    /// The random 64-bit prefix, fixed per process, as 16 hex digits in two words ready to store.
    private static let prefixDigits: (UInt64, UInt64) = {
        let prefix = UInt64.random(in: 0...UInt64.max)
        return (hexDigits(UInt32(truncatingIfNeeded: prefix >> 32)), hexDigits(UInt32(truncatingIfNeeded: prefix)))
    }()

    /// 32 lower-case hex digits: a random 64-bit prefix fixed per process, then a 64-bit counter put through a bijective mix so
    /// that consecutive ids do not look alike. Unique within a process; not secret and not a nonce.
    public static func generate() -> String {
        let sequence = counter.add(1, ordering: .relaxed).newValue
        var mixed = sequence &* 0x9E37_79B9_7F4A_7C15
        mixed ^= mixed >> 31
        let digits = (
            prefixDigits.0, prefixDigits.1,
            hexDigits(UInt32(truncatingIfNeeded: mixed >> 32)), hexDigits(UInt32(truncatingIfNeeded: mixed))
        )
        // One 32-byte string copied from four words: no intermediate arrays or strings.
        return String(unsafeUninitializedCapacity: 32) { buffer in
            withUnsafeBytes(of: digits) { buffer.baseAddress!.update(from: $0.assumingMemoryBound(to: UInt8.self).baseAddress!, count: 32) }
            return 32
        }
    }

    /// Returns the 8 lower-case hex digits of `value` as ASCII bytes in a word whose first byte in
    /// memory is the most significant digit, without a loop or a table.
    static func hexDigits(_ value: UInt32) -> UInt64 {
        // Spreads the 8 nibbles into the low halves of 8 bytes, most significant nibble in the top byte.
        var nibbles = UInt64(value)
        nibbles = (nibbles | (nibbles << 16)) & 0x0000_FFFF_0000_FFFF
        nibbles = (nibbles | (nibbles << 8)) & 0x00FF_00FF_00FF_00FF
        nibbles = (nibbles | (nibbles << 4)) & 0x0F0F_0F0F_0F0F_0F0F
        // 1 in each byte whose nibble is 10 or more: adding 6 carries into bit 4 exactly then.
        let letters = ((nibbles &+ 0x0606_0606_0606_0606) >> 4) & 0x0101_0101_0101_0101
        // "0" is 0x30, and "a" is 0x27 past "0" + 10.
        let ascii = nibbles &+ 0x3030_3030_3030_3030 &+ letters &* 0x27
        return ascii.bigEndian
    }
}
