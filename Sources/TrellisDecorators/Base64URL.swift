/// The base64url encoding without padding, as JWS compact serialization uses it (RFC 7515, section 2;
/// RFC 4648, section 5).
///
/// Decoding is strict: it rejects `=` padding, characters outside `A-Z a-z 0-9 - _`, a length that
/// leaves a single character in the last group, and nonzero unused bits in the last character. So
/// each byte string has exactly one accepted text, and a token cannot be altered without changing
/// the bytes its signature covers.
public enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// Returns `bytes` encoded without padding.
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        let input = Array(bytes)
        var output: [UInt8] = []
        output.reserveCapacity((input.count * 4 + 2) / 3)
        var index = 0
        while index + 3 <= input.count {
            let group = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8 | UInt32(input[index + 2])
            for shift in [18, 12, 6, 0] { output.append(alphabet[Int(group >> UInt32(shift) & 0x3F)]) }
            index += 3
        }
        switch input.count - index {
        case 1:
            let group = UInt32(input[index]) << 16
            for shift in [18, 12] { output.append(alphabet[Int(group >> UInt32(shift) & 0x3F)]) }
        case 2:
            let group = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8
            for shift in [18, 12, 6] { output.append(alphabet[Int(group >> UInt32(shift) & 0x3F)]) }
        default:
            break
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Returns the UTF-8 bytes of `text` encoded without padding.
    public static func encode(_ text: String) -> String { encode(Array(text.utf8)) }

    /// Decodes unpadded base64url text; nil when the text is not in the strict form described above.
    public static func decode(_ text: some Collection<UInt8>) -> [UInt8]? {
        let input = Array(text)
        guard input.count % 4 != 1 else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(input.count * 3 / 4)
        var group: UInt32 = 0
        var bitCount = 0
        for character in input {
            guard let value = sextet(character) else { return nil }
            group = group << 6 | UInt32(value)
            bitCount += 6
            if bitCount >= 8 {
                bitCount -= 8
                output.append(UInt8(truncatingIfNeeded: group >> UInt32(bitCount)))
                group &= (1 << UInt32(bitCount)) - 1
            }
        }
        // Two or four bits remain after a partial group; they carry no data and must be zero.
        guard group == 0 else { return nil }
        return output
    }

    /// Decodes the UTF-8 bytes of `text`.
    public static func decode(_ text: String) -> [UInt8]? { decode(Array(text.utf8)) }

    private static func sextet(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return character - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return character - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return character - UInt8(ascii: "0") + 52
        case UInt8(ascii: "-"): return 62
        case UInt8(ascii: "_"): return 63
        default: return nil
        }
    }
}
