import CCrypto

/// SHA-256, HMAC-SHA256 and a constant-time comparison, computed by OpenSSL libcrypto.
///
/// The API-key and JWT decorators use these, and so can any code that checks a signature, such as a
/// webhook handler. Digests are raw bytes: 32 bytes for both SHA-256 and HMAC-SHA256.
public enum Digest {
    /// The size of a SHA-256 digest and of an HMAC-SHA256 tag, in bytes.
    public static let sha256ByteCount = 32

    /// Returns the SHA-256 digest of `data`.
    public static func sha256(_ data: some Collection<UInt8>) -> [UInt8] {
        if let digest = data.withContiguousStorageIfAvailable({ sha256(UnsafeRawBufferPointer($0)) }) { return digest }
        return Array(data).withUnsafeBytes { sha256($0) }
    }

    /// Returns the SHA-256 digest of the UTF-8 bytes of `text`, read in place.
    public static func sha256(_ text: String) -> [UInt8] {
        var text = text
        return text.withUTF8 { sha256(UnsafeRawBufferPointer($0)) }
    }

    private static func sha256(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        SHA256Digest(hashing: bytes).bytes
    }

    /// Returns the HMAC-SHA256 tag of `data` under `key` (RFC 2104). An empty key is allowed here;
    /// callers that need a minimum key length check it themselves.
    public static func hmacSHA256(key: some Collection<UInt8>, data: some Collection<UInt8>) -> [UInt8] {
        var tag = [UInt8](repeating: 0, count: sha256ByteCount)
        var length: UInt32 = 0
        let keyBytes = Array(key)
        let dataBytes = Array(data)
        let result = withNonNullPointer(keyBytes) { keyPointer in
            withNonNullPointer(dataBytes) { dataPointer in
                HMAC(EVP_sha256(), keyPointer, Int32(keyBytes.count), dataPointer, dataBytes.count, &tag, &length)
            }
        }
        precondition(result != nil && length == sha256ByteCount, "HMAC(SHA-256) failed")
        return tag
    }

    /// Compares two byte strings in time that depends only on their lengths, with `CRYPTO_memcmp`.
    ///
    /// Arrays of different lengths compare unequal at once, so the length itself is not hidden. Compare
    /// digests or tags of a fixed size to keep everything about a secret out of the timing.
    public static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        guard !lhs.isEmpty else { return true }
        return lhs.withUnsafeBytes { left in
            rhs.withUnsafeBytes { right in
                CRYPTO_memcmp(left.baseAddress!, right.baseAddress!, left.count) == 0
            }
        }
    }

    /// Returns `bytes` as lower-case hexadecimal text.
    public static func hex(_ bytes: some Collection<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// Parses hexadecimal text in either letter case; nil when the length is odd or a character is
    /// not a hex digit.
    public static func bytes(fromHex text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = nibble(digits[index]), let low = nibble(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return digit - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// Calls `body` with a pointer to the bytes, or to a one-byte placeholder when `bytes` is empty,
    /// because some OpenSSL 3.0 calls reject a null pointer even with a length of zero.
    static func withNonNullPointer<Result>(_ bytes: [UInt8], _ body: (UnsafePointer<UInt8>) -> Result) -> Result {
        if bytes.isEmpty {
            let placeholder: [UInt8] = [0]
            return placeholder.withUnsafeBufferPointer { body($0.baseAddress!) }
        }
        return bytes.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}
