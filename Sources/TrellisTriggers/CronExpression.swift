import Foundation

/// A five-field cron expression: `minute hour day-of-month month day-of-week`.
///
/// Each field is `*`, a value, a range `a-b`, a step `*/n` or `a-b/n`, or a comma-separated list of these.
/// Ranges are minute 0-59, hour 0-23, day of month 1-31, month 1-12 or `JAN`-`DEC`, and day of week 0-7 or
/// `SUN`-`SAT`, where both 0 and 7 are Sunday. Names are case-insensitive and may end a range (`MON-FRI`).
/// A range must not run backwards (`FRI-MON` is invalid), and a step needs `*` or a range before it.
/// Macros such as `@daily` and the Quartz extensions (`L`, `W`, `#`, seconds) are not accepted.
///
/// Day rule: when both day fields are restricted, a day matches if EITHER matches, so `0 0 13 * FRI` fires
/// on every 13th and on every Friday (the rule of Vixie cron's crontab(5)). When one of them is
/// unrestricted, a day must match both. A day field counts as unrestricted when its text starts with `*`,
/// which includes steps like `*/2`.
/// NOTE: cron implementations differ on `*/n` day fields; some count only a bare `*` as unrestricted.
///
/// Daylight saving time treats fixed-time and wildcard expressions differently. An expression is
/// fixed-time when neither its minute nor its hour field starts with `*`.
/// - A wall-clock time skipped by a spring-forward change (Europe/Berlin 2026-03-29 02:30) fires a
///   fixed-time expression once at the first instant after the gap (03:00 CEST). This is what cronie's
///   crond(8) describes: jobs of the skipped interval run right after it. A wildcard expression has no run
///   for the skipped times, because its next wall-clock match follows soon anyway.
/// - A wall-clock time that happens twice in a fall-back change (Europe/Berlin 2026-10-25 02:30) fires a
///   fixed-time expression once, at the first occurrence (CEST). A wildcard expression fires at both
///   occurrences, so `*/15 * * * *` keeps firing every 15 minutes of elapsed time.
public struct CronExpression: Sendable, Equatable, CustomStringConvertible {
    /// The five fields, in order.
    public enum Field: String, Sendable, CaseIterable {
        case minute
        case hour
        case dayOfMonth = "day-of-month"
        case month
        case dayOfWeek = "day-of-week"

        var bounds: ClosedRange<Int> {
            switch self {
            case .minute: return 0...59
            case .hour: return 0...23
            case .dayOfMonth: return 1...31
            case .month: return 1...12
            case .dayOfWeek: return 0...7
            }
        }

        /// Names accepted in place of numbers, mapped to their values.
        var names: [String: Int] {
            switch self {
            case .month:
                let months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
                return Dictionary(uniqueKeysWithValues: months.enumerated().map { ($1, $0 + 1) })
            case .dayOfWeek:
                let days = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
                return Dictionary(uniqueKeysWithValues: days.enumerated().map { ($1, $0) })
            default:
                return [:]
            }
        }
    }

    /// An invalid expression. `field` is nil when the expression does not have five fields; `token` is the
    /// part of the field that failed.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public let expression: String
        public let field: Field?
        public let token: String
        public let reason: String

        public var description: String {
            guard let field else { return "invalid cron expression \"\(expression)\": \(reason)" }
            return "invalid cron expression \"\(expression)\": \(field.rawValue) field \"\(token)\": \(reason)"
        }
    }

    /// How far `nextFire` and `previousFire` search before they return nil: 8 years of days, which covers
    /// the longest gap between two February 29ths (2096 to 2104). An expression that matches less often,
    /// such as `0 0 31 2 *`, which never matches, returns nil.
    public static let searchHorizonDays = 8 * 366

    /// The expression as given.
    public let text: String
    /// Bit `n` set when value `n` matches. Day of week uses bits 0-6, with 7 folded into 0 (Sunday).
    let minutes: UInt64
    let hours: UInt64
    let daysOfMonth: UInt64
    let months: UInt64
    let daysOfWeek: UInt64
    let dayOfMonthRestricted: Bool
    let dayOfWeekRestricted: Bool
    /// True when neither the minute nor the hour field starts with `*`; see the type's DST rules.
    public let isFixedTime: Bool

    /// Parses `text`; fields are separated by spaces or tabs. Throws `ParseError` naming the field and token.
    public init(_ text: String) throws(ParseError) {
        self.text = text
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 else {
            throw ParseError(
                expression: text, field: nil, token: text,
                reason: "expected 5 fields (minute hour day-of-month month day-of-week), found \(fields.count)")
        }
        minutes = try Self.parseField(fields[0], as: .minute, expression: text)
        hours = try Self.parseField(fields[1], as: .hour, expression: text)
        daysOfMonth = try Self.parseField(fields[2], as: .dayOfMonth, expression: text)
        months = try Self.parseField(fields[3], as: .month, expression: text)
        var weekdays = try Self.parseField(fields[4], as: .dayOfWeek, expression: text)
        if weekdays & (1 << 7) != 0 { weekdays = (weekdays | 1) & ~(1 << 7) }
        daysOfWeek = weekdays
        dayOfMonthRestricted = !fields[2].hasPrefix("*")
        dayOfWeekRestricted = !fields[4].hasPrefix("*")
        isFixedTime = !fields[0].hasPrefix("*") && !fields[1].hasPrefix("*")
    }

    public var description: String { text }

    public static func == (lhs: CronExpression, rhs: CronExpression) -> Bool { lhs.text == rhs.text }

    // MARK: Parsing

    private static func parseField(_ field: String, as kind: Field, expression: String) throws(ParseError) -> UInt64 {
        var bits: UInt64 = 0
        for item in field.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
            bits |= try parseItem(item, as: kind, expression: expression)
        }
        return bits
    }

    /// Parses one list item: `*`, `v`, `a-b`, `*/n` or `a-b/n`.
    private static func parseItem(_ item: String, as kind: Field, expression: String) throws(ParseError) -> UInt64 {
        func failure(_ reason: String) -> ParseError {
            ParseError(expression: expression, field: kind, token: item, reason: reason)
        }
        guard !item.isEmpty else { throw failure("empty list item") }

        let parts = item.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { throw failure("more than one '/'") }
        var step = 1
        if parts.count == 2 {
            guard let value = Int(parts[1]), value >= 1 else { throw failure("the step must be a whole number of at least 1") }
            step = value
        }

        let range: ClosedRange<Int>
        let base = String(parts[0])
        if base == "*" {
            range = kind.bounds.lowerBound...(kind == .dayOfWeek ? 6 : kind.bounds.upperBound)
        } else {
            let ends = base.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
            guard ends.count <= 2 else { throw failure("a range has exactly one '-'") }
            let low = try value(ends[0], as: kind, item: item, expression: expression)
            let high = ends.count == 2 ? try value(ends[1], as: kind, item: item, expression: expression) : low
            guard low <= high else { throw failure("the range runs backwards (\(low) > \(high))") }
            guard ends.count == 2 || parts.count == 1 else { throw failure("a step needs '*' or a range before it") }
            range = low...high
        }

        var bits: UInt64 = 0
        for value in stride(from: range.lowerBound, through: range.upperBound, by: step) { bits |= 1 << UInt64(value) }
        return bits
    }

    private static func value(_ token: String, as kind: Field, item: String, expression: String) throws(ParseError) -> Int {
        if let named = kind.names[token.uppercased()] { return named }
        guard !token.isEmpty, token.allSatisfy(\.isASCII), token.allSatisfy(\.isNumber), let number = Int(token) else {
            let names = kind.names.isEmpty ? "" : " or a name such as \(kind == .month ? "JAN" : "MON")"
            throw ParseError(expression: expression, field: kind, token: item, reason: "\"\(token)\" is not a number\(names)")
        }
        guard kind.bounds.contains(number) else {
            throw ParseError(
                expression: expression, field: kind, token: item,
                reason: "\(number) is out of range \(kind.bounds.lowerBound)-\(kind.bounds.upperBound)")
        }
        return number
    }

    // MARK: Matching

    /// True when the civil day matches the month and day fields, under the either-day rule.
    func matchesDay(_ day: CivilDay) -> Bool {
        guard months & (1 << UInt64(day.month)) != 0 else { return false }
        let dayOfMonthMatches = daysOfMonth & (1 << UInt64(day.day)) != 0
        let dayOfWeekMatches = daysOfWeek & (1 << UInt64(day.weekday)) != 0
        if dayOfMonthRestricted && dayOfWeekRestricted { return dayOfMonthMatches || dayOfWeekMatches }
        return dayOfMonthMatches && dayOfWeekMatches
    }

    /// Lists the fire instants of one local day in Unix seconds, ascending, under the DST rules of the type.
    func fireInstants(on day: CivilDay, in zone: ZoneClock) -> [Int64] {
        guard matchesDay(day) else { return [] }
        let midnight = day.daysSinceEpoch * 86_400
        var instants: [Int64] = []
        for hour in 0..<24 where hours & (1 << UInt64(hour)) != 0 {
            for minute in 0..<60 where minutes & (1 << UInt64(minute)) != 0 {
                let wallClock = midnight + Int64(hour * 3600 + minute * 60)
                switch zone.resolve(wallClock: wallClock) {
                case .unique(let instant):
                    instants.append(instant)
                case .repeated(let first, let second):
                    instants.append(first)
                    if !isFixedTime { instants.append(second) }
                case .skipped(let gapEnd):
                    if isFixedTime { instants.append(gapEnd) }
                }
            }
        }
        return Array(Set(instants)).sorted()
    }

    /// Returns the first fire time strictly after `instant`, evaluated in `timeZone`, or nil when none falls
    /// within `searchHorizonDays`. Fire times are whole minutes.
    public func nextFire(after instant: Date, in timeZone: TimeZone) -> Date? {
        let zone = ZoneClock(timeZone)
        let after = Int64(instant.timeIntervalSince1970.rounded(.down))
        // Start a day early: a fall-back fold can put a later instant at an earlier wall-clock day.
        let startDay = CivilDay(daysSinceEpoch: zone.wallClock(at: after).floorDiv(86_400) - 1)
        var best: Int64?
        for offset in 0...Self.searchHorizonDays {
            let day = startDay.adding(days: offset)
            if let found = fireInstants(on: day, in: zone).first(where: { $0 > after }) {
                best = min(best ?? found, found)
            }
            // One day past a hit is enough: only a fold, which is shorter than a day, reorders instants.
            if let best, day.daysSinceEpoch * 86_400 - 2 * 86_400 > best { break }
        }
        return best.map { Date(timeIntervalSince1970: TimeInterval($0)) }
    }

    /// Returns the last fire time at or before `instant`, evaluated in `timeZone`, or nil when none falls
    /// within `searchHorizonDays` before it.
    public func previousFire(atOrBefore instant: Date, in timeZone: TimeZone) -> Date? {
        let zone = ZoneClock(timeZone)
        let bound = Int64(instant.timeIntervalSince1970.rounded(.down))
        let startDay = CivilDay(daysSinceEpoch: zone.wallClock(at: bound).floorDiv(86_400) + 1)
        var best: Int64?
        for offset in 0...Self.searchHorizonDays {
            let day = startDay.adding(days: -offset)
            if let found = fireInstants(on: day, in: zone).last(where: { $0 <= bound }) {
                best = max(best ?? found, found)
            }
            if let best, day.daysSinceEpoch * 86_400 + 3 * 86_400 < best { break }
        }
        return best.map { Date(timeIntervalSince1970: TimeInterval($0)) }
    }
}

extension Int64 {
    /// Division rounding towards negative infinity, for instants before 1970.
    func floorDiv(_ divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
