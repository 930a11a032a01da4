import Glibc

/// The `Date` field value in IMF-fixdate form (`Sun, 06 Nov 1994 08:49:37 GMT`, RFC 9110 section
/// 5.6.7), formatted at most once per second. Loop-confined: each loop keeps its own.
struct HTTPDateCache {
    /// The length of every value.
    static let valueBytes = 29

    private var second: time_t = -1
    /// Always `valueBytes` bytes once filled.
    private var text: [UInt8] = []

    private static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Returns the value for `now`, in seconds since the Unix epoch.
    mutating func value(at now: time_t) -> [UInt8] {
        if now != second {
            second = now
            text = Self.format(now)
        }
        return text
    }

    static func format(_ time: time_t) -> [UInt8] {
        var seconds = time
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let year = String(parts.tm_year + 1900)
        let text = "\(weekdays[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(year) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
        return Array(text.utf8)
    }
}
