/// The keys a `LogFields` type may pass, when they are the same literals for every value of the type.
/// A sink checks them once, when the set is built, instead of on every line: for a line whose fields
/// declare such a set, only the metadata keys are checked, each against the set.
public struct LogFieldKeys: Sendable {
    public let keys: [String]
    /// True when no key repeats and none is `time`, `level` or `msg`. A sink checks every line of
    /// fields whose set is not clean, as it does for fields without a set.
    public let isClean: Bool
    /// Bit `n` is set when a key is `n` bytes long (bit 63 for 63 bytes or more), so that most keys
    /// outside the set are rejected without a string comparison.
    private let lengthBits: UInt64

    /// Creates the set; `keys` must contain every key the fields type ever passes, in any order.
    public init(_ keys: [String]) {
        self.keys = keys
        var clean = true
        var bits: UInt64 = 0
        for (index, key) in keys.enumerated() {
            if StreamLogSink.isReservedKey(key) || keys[..<index].contains(key) { clean = false }
            bits |= Self.lengthBit(key)
        }
        isClean = clean
        lengthBits = bits
    }

    /// True when `key` is in the set.
    public func contains(_ key: String) -> Bool {
        guard lengthBits & Self.lengthBit(key) != 0 else { return false }
        return keys.contains { StreamLogSink.keysEqual($0, key) }
    }

    @inline(__always)
    private static func lengthBit(_ key: String) -> UInt64 {
        1 << UInt64(min(key.utf8.count, 63))
    }
}
