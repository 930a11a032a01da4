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
    private static let prefix: UInt64 = UInt64.random(in: 0...UInt64.max)

    /// 32 lower-case hex digits: a random 64-bit prefix fixed per process, then a 64-bit counter put through a bijective mix so
    /// that consecutive ids do not look alike. Unique within a process; not secret and not a nonce.
    public static func generate() -> String {
        let sequence = counter.add(1, ordering: .relaxed).newValue
        var mixed = sequence &* 0x9E37_79B9_7F4A_7C15
        mixed ^= mixed >> 31
        // One 32-byte string built in place: no intermediate arrays or strings.
        return String(unsafeUninitializedCapacity: 32) { buffer in
            writeHex(prefix, into: UnsafeMutableBufferPointer(rebasing: buffer[0..<16]))
            writeHex(mixed, into: UnsafeMutableBufferPointer(rebasing: buffer[16..<32]))
            return 32
        }
    }

    /// Writes `value` as 16 lower-case hex digits.
    private static func writeHex(_ value: UInt64, into digits: UnsafeMutableBufferPointer<UInt8>) {
        var value = value
        for index in stride(from: 15, through: 0, by: -1) {
            let nibble = UInt8(truncatingIfNeeded: value & 0xF)
            digits[index] = nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
            value >>= 4
        }
    }
}
