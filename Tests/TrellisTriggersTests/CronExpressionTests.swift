import Foundation
import Testing
@testable import TrellisTriggers

/// Parses an ISO 8601 instant with its offset, such as `2026-03-29T03:00:00+02:00`.
func instant(_ text: String) -> Date {
    guard let date = ISO8601DateFormatter().date(from: text) else { fatalError("bad test instant \(text)") }
    return date
}

func zone(_ identifier: String) -> TimeZone {
    guard let zone = TimeZone(identifier: identifier) else { fatalError("missing time zone \(identifier)") }
    return zone
}

struct CronExpressionTests {
    struct NextCase: CustomTestStringConvertible, Sendable {
        var expression: String
        var zone = "UTC"
        var after: String
        var expected: String?
        var testDescription: String { "\(expression) in \(zone) after \(after)" }
    }

    static let nextCases: [NextCase] = [
        NextCase(expression: "*/15 * * * *", after: "2026-01-01T00:07:30Z", expected: "2026-01-01T00:15:00Z"),
        NextCase(expression: "* * * * *", after: "2026-01-01T00:00:30Z", expected: "2026-01-01T00:01:00Z"),
        // Strictly after: a fire time equal to `after` is not returned.
        NextCase(expression: "* * * * *", after: "2026-01-01T00:01:00Z", expected: "2026-01-01T00:02:00Z"),
        NextCase(expression: "10-50/20 8-18/5 * * *", after: "2026-01-01T08:50:00Z", expected: "2026-01-01T13:10:00Z"),
        NextCase(expression: "0 0 1 * *", after: "2026-12-31T23:59:59Z", expected: "2027-01-01T00:00:00Z"),
        // February 29: the next leap year, and the 8-year gap over 2100, which is not a leap year.
        NextCase(expression: "0 0 29 2 *", after: "2026-03-01T00:00:00Z", expected: "2028-02-29T00:00:00Z"),
        NextCase(expression: "0 0 29 2 *", after: "2096-03-01T00:00:00Z", expected: "2104-02-29T00:00:00Z"),
        NextCase(expression: "0 0 31 2 *", after: "2026-01-01T00:00:00Z", expected: nil),
        NextCase(expression: "0 0 31 4,6,9,11 *", after: "2026-01-01T00:00:00Z", expected: nil),
        // The 31st skips April, which has 30 days.
        NextCase(expression: "59 23 31 * *", after: "2026-04-01T00:00:00Z", expected: "2026-05-31T23:59:00Z"),
        // Names, case-insensitive; 2026-03-31 is a Tuesday, so the next match is Friday 2027-01-01.
        NextCase(expression: "30 9 * jan-Mar MON-fri", after: "2026-03-31T10:00:00Z", expected: "2027-01-01T09:30:00Z"),
        // 0 and 7 are both Sunday; 2026-04-05 is a Sunday.
        NextCase(expression: "0 0 * * 7", after: "2026-04-01T00:00:00Z", expected: "2026-04-05T00:00:00Z"),
        NextCase(expression: "0 0 * * 0", after: "2026-04-01T00:00:00Z", expected: "2026-04-05T00:00:00Z"),
        NextCase(expression: "0 0 * * 5-7", after: "2026-04-04T00:00:00Z", expected: "2026-04-05T00:00:00Z"),
        // Both day fields restricted: either matches. 2026-04-13 is a Monday, before Friday the 17th.
        NextCase(expression: "0 12 13 * FRI", after: "2026-04-11T00:00:00Z", expected: "2026-04-13T12:00:00Z"),
        NextCase(expression: "0 12 13 * FRI", after: "2026-04-13T12:00:00Z", expected: "2026-04-17T12:00:00Z"),
        // A day-of-month starting with `*` is unrestricted, so both must match: odd days that are Fridays.
        NextCase(expression: "0 12 */2 * FRI", after: "2026-04-04T00:00:00Z", expected: "2026-04-17T12:00:00Z"),
        // Time zones: 09:00 in New York is 13:00 UTC in summer.
        NextCase(expression: "0 9 * * *", zone: "America/New_York", after: "2026-07-01T00:00:00Z", expected: "2026-07-01T13:00:00Z"),
        // Spring forward in Berlin, 2026-03-29: 02:00-03:00 CET does not exist.
        NextCase(expression: "30 2 * * *", zone: "Europe/Berlin", after: "2026-03-28T12:00:00+01:00", expected: "2026-03-29T03:00:00+02:00"),
        NextCase(expression: "30 2 * * *", zone: "Europe/Berlin", after: "2026-03-29T03:00:00+02:00", expected: "2026-03-30T02:30:00+02:00"),
        NextCase(expression: "0,30 2 * * *", zone: "Europe/Berlin", after: "2026-03-29T03:00:00+02:00", expected: "2026-03-30T02:00:00+02:00"),
        NextCase(expression: "0 3 * * *", zone: "Europe/Berlin", after: "2026-03-28T12:00:00+01:00", expected: "2026-03-29T03:00:00+02:00"),
        NextCase(expression: "30 * * * *", zone: "Europe/Berlin", after: "2026-03-29T01:45:00+01:00", expected: "2026-03-29T03:30:00+02:00"),
        // Fall back in Berlin, 2026-10-25: 02:00-03:00 happens in CEST and again in CET.
        NextCase(expression: "30 2 * * *", zone: "Europe/Berlin", after: "2026-10-24T12:00:00+02:00", expected: "2026-10-25T02:30:00+02:00"),
        NextCase(expression: "30 2 * * *", zone: "Europe/Berlin", after: "2026-10-25T02:30:00+02:00", expected: "2026-10-26T02:30:00+01:00"),
        NextCase(expression: "30 * * * *", zone: "Europe/Berlin", after: "2026-10-25T02:30:00+02:00", expected: "2026-10-25T02:30:00+01:00"),
        NextCase(expression: "30 * * * *", zone: "Europe/Berlin", after: "2026-10-25T02:30:00+01:00", expected: "2026-10-25T03:30:00+01:00"),
    ]

    @Test(arguments: nextCases)
    func nextFireTable(_ row: NextCase) throws {
        let expression = try CronExpression(row.expression)
        let next = expression.nextFire(after: instant(row.after), in: zone(row.zone))
        #expect(next == row.expected.map(instant))
    }

    @Test func springForwardFiresOnceThatDay() throws {
        let expression = try CronExpression("0,15,30,45 2 * * *")
        let berlin = zone("Europe/Berlin")
        var fires: [Date] = []
        var cursor = instant("2026-03-28T12:00:00+01:00")
        while let next = expression.nextFire(after: cursor, in: berlin), next < instant("2026-03-30T00:00:00+02:00") {
            fires.append(next)
            cursor = next
        }
        #expect(fires == [instant("2026-03-29T03:00:00+02:00")])
    }

    @Test func fallBackFixedTimeFiresOnce() throws {
        let expression = try CronExpression("30 2 * * *")
        let berlin = zone("Europe/Berlin")
        var fires: [Date] = []
        var cursor = instant("2026-10-24T12:00:00+02:00")
        while let next = expression.nextFire(after: cursor, in: berlin), next < instant("2026-10-26T00:00:00+01:00") {
            fires.append(next)
            cursor = next
        }
        #expect(fires == [instant("2026-10-25T02:30:00+02:00")])
    }

    @Test func fallBackWildcardKeepsInterval() throws {
        let expression = try CronExpression("*/30 * * * *")
        let berlin = zone("Europe/Berlin")
        var fires: [Date] = []
        var cursor = instant("2026-10-25T01:45:00+02:00")
        for _ in 0..<6 {
            guard let next = expression.nextFire(after: cursor, in: berlin) else { break }
            fires.append(next)
            cursor = next
        }
        let gaps = zip(fires, fires.dropFirst()).map { $1.timeIntervalSince($0) }
        #expect(fires.first == instant("2026-10-25T02:00:00+02:00"))
        #expect(gaps == Array(repeating: 1800, count: 5))
    }

    struct PreviousCase: CustomTestStringConvertible, Sendable {
        var expression: String
        var zone = "UTC"
        var bound: String
        var expected: String?
        var testDescription: String { "\(expression) in \(zone) at or before \(bound)" }
    }

    static let previousCases: [PreviousCase] = [
        PreviousCase(expression: "0 * * * *", bound: "2026-01-01T05:00:00Z", expected: "2026-01-01T05:00:00Z"),
        PreviousCase(expression: "0 * * * *", bound: "2026-01-01T04:59:59Z", expected: "2026-01-01T04:00:00Z"),
        PreviousCase(expression: "0 0 29 2 *", bound: "2027-06-01T00:00:00Z", expected: "2024-02-29T00:00:00Z"),
        PreviousCase(expression: "0 0 31 2 *", bound: "2027-06-01T00:00:00Z", expected: nil),
        PreviousCase(expression: "30 2 * * *", zone: "Europe/Berlin", bound: "2026-03-29T12:00:00+02:00", expected: "2026-03-29T03:00:00+02:00"),
        PreviousCase(expression: "30 2 * * *", zone: "Europe/Berlin", bound: "2026-10-25T12:00:00+01:00", expected: "2026-10-25T02:30:00+02:00"),
    ]

    @Test(arguments: previousCases)
    func previousFireTable(_ row: PreviousCase) throws {
        let expression = try CronExpression(row.expression)
        let previous = expression.previousFire(atOrBefore: instant(row.bound), in: zone(row.zone))
        #expect(previous == row.expected.map(instant))
    }

    struct ErrorCase: CustomTestStringConvertible, Sendable {
        var expression: String
        var field: CronExpression.Field?
        var token: String
        var testDescription: String { expression }
    }

    static let errorCases: [ErrorCase] = [
        ErrorCase(expression: "* * * *", field: nil, token: "* * * *"),
        ErrorCase(expression: "* * * * * *", field: nil, token: "* * * * * *"),
        ErrorCase(expression: "60 * * * *", field: .minute, token: "60"),
        ErrorCase(expression: "* 24 * * *", field: .hour, token: "24"),
        ErrorCase(expression: "* * 0 * *", field: .dayOfMonth, token: "0"),
        ErrorCase(expression: "* * 32 * *", field: .dayOfMonth, token: "32"),
        ErrorCase(expression: "* * * 13 *", field: .month, token: "13"),
        ErrorCase(expression: "* * * * 8", field: .dayOfWeek, token: "8"),
        ErrorCase(expression: "*/0 * * * *", field: .minute, token: "*/0"),
        ErrorCase(expression: "5-1 * * * *", field: .minute, token: "5-1"),
        ErrorCase(expression: "5/2 * * * *", field: .minute, token: "5/2"),
        ErrorCase(expression: "1,,2 * * * *", field: .minute, token: ""),
        ErrorCase(expression: "1-2-3 * * * *", field: .minute, token: "1-2-3"),
        ErrorCase(expression: "-1 * * * *", field: .minute, token: "-1"),
        ErrorCase(expression: "a * * * *", field: .minute, token: "a"),
        ErrorCase(expression: "* * * FOO *", field: .month, token: "FOO"),
        ErrorCase(expression: "* * * * JAN", field: .dayOfWeek, token: "JAN"),
        ErrorCase(expression: "* * MON * *", field: .dayOfMonth, token: "MON"),
        ErrorCase(expression: "* * * * FRI-MON", field: .dayOfWeek, token: "FRI-MON"),
        ErrorCase(expression: "* * * * 1/2/3", field: .dayOfWeek, token: "1/2/3"),
    ]

    @Test(arguments: errorCases)
    func parseErrorNamesFieldAndToken(_ row: ErrorCase) {
        #expect {
            _ = try CronExpression(row.expression)
        } throws: { error in
            guard let error = error as? CronExpression.ParseError else { return false }
            return error.field == row.field && error.token == row.token
        }
    }

    @Test func parseErrorMessage() {
        #expect {
            _ = try CronExpression("0 25 * * *")
        } throws: { error in
            "\(error)" == "invalid cron expression \"0 25 * * *\": hour field \"25\": 25 is out of range 0-23"
        }
    }

    @Test func fixedTimeDetection() throws {
        #expect(try CronExpression("30 2 * * *").isFixedTime)
        #expect(try CronExpression("0 1-4 * * *").isFixedTime)
        #expect(try !CronExpression("30 * * * *").isFixedTime)
        #expect(try !CronExpression("*/5 3 * * *").isFixedTime)
    }

    @Test func tabsSeparateFields() throws {
        let expression = try CronExpression("0\t12  * * *")
        #expect(expression.nextFire(after: instant("2026-01-01T00:00:00Z"), in: zone("UTC")) == instant("2026-01-01T12:00:00Z"))
    }
}
