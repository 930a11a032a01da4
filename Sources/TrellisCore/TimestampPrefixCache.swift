/// The `YYYY-MM-DDTHH:MM:SS.` text of the last whole second a line was stamped in, so that a sink
/// calls `gmtime_r` once per second instead of once per line. Not thread-safe: `StreamLogSink` keeps
/// it under its lock.
struct TimestampPrefixCache {
    private var second: Double = .nan
    private var prefix = JSONWriter(capacity: 64)

    /// Appends the same text as `Timestamp.appendRFC3339(unixTime, to:)`.
    mutating func appendRFC3339(_ unixTime: Double, to writer: inout JSONWriter) {
        let whole = unixTime.rounded(.down)
        if whole != second {
            prefix.removeAll()
            Timestamp.appendRFC3339(whole, to: &prefix)
            // Drops the `000Z` that the whole second ends with.
            prefix.truncate(to: prefix.count - 4)
            second = whole
        }
        let millis = Int((unixTime - whole) * 1000)
        prefix.withUnsafeBytes { writer.appendRaw(contentsOf: $0.assumingMemoryBound(to: UInt8.self)) }
        writer.append(unsigned: UInt64(clamping: millis), minimumDigits: 3)
        writer.appendRaw(UInt8(ascii: "Z"))
    }
}
