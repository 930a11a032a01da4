/// Caps repeated log lines: at most one line per key per interval, and the next line that gets through
/// reports how many were suppressed. Loop-confined.
struct LogRateLimiter {
    /// The interval in milliseconds of loop time. Default 10 s.
    let intervalMilliseconds: UInt64
    private var windows: [String: (start: UInt64, suppressed: Int)] = [:]

    init(intervalMilliseconds: UInt64 = 10_000) {
        self.intervalMilliseconds = intervalMilliseconds
    }

    /// Nil when a line for `key` at `now` (milliseconds) must be suppressed, else the number of lines
    /// suppressed since the last one that got through.
    mutating func admit(_ key: String, now: UInt64) -> Int? {
        if let window = windows[key], now &- window.start < intervalMilliseconds {
            windows[key] = (window.start, window.suppressed + 1)
            return nil
        }
        let suppressed = windows[key]?.suppressed ?? 0
        windows[key] = (now, 0)
        return suppressed
    }
}
