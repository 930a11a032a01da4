import Foundation
import TrellisCore

/// The fire times of one schedule trigger: what to do at startup about times missed while the process
/// was down, and when to fire next. Pure: the caller passes the stored last fire time and `now`.
///
/// Cron schedules use the fire times of `CronExpression` in the settings' zone. Interval schedules
/// (`every`) fire at `lastFire + k * interval`, so a late or missed fire does not shift later ones.
/// With no stored fire, an interval schedule first fires one interval after `now`.
///
/// A scheduled time counts as missed at startup when it is after the stored last fire and at or before
/// `now`. No scheduled time at or before the stored last fire is ever returned, even when the clock went
/// backwards.
public struct SchedulePlan: Sendable {
    public enum Timing: Sendable, Equatable {
        case cron(CronExpression, TimeZone)
        /// Whole nanoseconds, greater than 0.
        case every(nanoseconds: Int64)
    }

    /// The startup outcome.
    public struct StartupDecision: Sendable, Equatable {
        /// The latest missed scheduled time, to fire once now; nil when nothing was missed or the misfire
        /// policy is `skip`.
        public var fireMissed: Date?
        /// The first scheduled time after `now` (and after the last fire); nil when a cron expression has
        /// no fire time within its search horizon.
        public var next: Date?
    }

    /// The shortest `everySeconds` interval accepted: 50 ms, enough for tests and sub-second polling.
    public static let minimumInterval: Duration = .milliseconds(50)

    public let timing: Timing
    public let misfire: ScheduleSettings.Misfire

    /// Validates `settings`. Throws `ConfigError` with a field below `path` (such as
    /// `triggers.nightly.cron`) for an invalid cron expression, an interval under `minimumInterval`, or a
    /// time zone that is not in the IANA database.
    public init(settings: ScheduleSettings, path: String = "schedule") throws(ConfigError) {
        misfire = settings.misfire
        switch settings.timing {
        case .cron(let text):
            let expression: CronExpression
            do {
                expression = try CronExpression(text)
            } catch {
                throw ConfigError(field: "\(path).cron", error.description)
            }
            guard let zone = TimeZone(identifier: settings.timeZone) else {
                throw ConfigError(
                    field: "\(path).timeZone",
                    "unknown time zone \"\(settings.timeZone)\": use an IANA name such as UTC or Europe/Berlin")
            }
            guard expression.nextFire(after: Date(), in: zone) != nil else {
                throw ConfigError(
                    field: "\(path).cron",
                    "\"\(text)\" never fires within \(CronExpression.searchHorizonDays / 365) years; check the day and month fields")
            }
            timing = .cron(expression, zone)
        case .every(let interval):
            guard interval >= Self.minimumInterval else {
                throw ConfigError(field: "\(path).everySeconds", "interval \(interval) is below the minimum of 0.05 seconds")
            }
            let (seconds, attoseconds) = interval.components
            let (nanoseconds, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
            guard !overflow else { throw ConfigError(field: "\(path).every", "interval \(interval) is too long") }
            timing = .every(nanoseconds: nanoseconds + attoseconds / 1_000_000_000)
        }
    }

    /// Decides at startup whether to fire for missed times, and when to fire next.
    public func startup(lastFire: Date?, now: Date) -> StartupDecision {
        guard let lastFire else { return StartupDecision(fireMissed: nil, next: firstFire(now: now)) }
        let latestMissed = latestScheduled(after: lastFire, atOrBefore: now)
        let next: Date?
        switch timing {
        case .cron(let expression, let zone):
            next = expression.nextFire(after: max(lastFire, now), in: zone)
        case .every:
            // The grid point after the latest missed one is after `now`, because the step count rounds down.
            next = nextFire(after: latestMissed ?? lastFire)
        }
        return StartupDecision(fireMissed: misfire == .fireOnce ? latestMissed : nil, next: next)
    }

    /// Returns the first scheduled time strictly after `instant`; call it with the time that just fired.
    /// For an interval schedule, `instant` is taken as a point of the schedule's grid.
    public func nextFire(after instant: Date) -> Date? {
        switch timing {
        case .cron(let expression, let zone):
            return expression.nextFire(after: instant, in: zone)
        case .every(let nanoseconds):
            return instant.addingTimeInterval(TimeInterval(nanoseconds) / 1e9)
        }
    }

    private func firstFire(now: Date) -> Date? {
        switch timing {
        case .cron(let expression, let zone):
            return expression.nextFire(after: now, in: zone)
        case .every(let nanoseconds):
            return now.addingTimeInterval(TimeInterval(nanoseconds) / 1e9)
        }
    }

    /// The latest scheduled time in (`lastFire`, `now`], or nil.
    private func latestScheduled(after lastFire: Date, atOrBefore now: Date) -> Date? {
        guard now > lastFire else { return nil }
        switch timing {
        case .cron(let expression, let zone):
            guard let latest = expression.previousFire(atOrBefore: now, in: zone), latest > lastFire else { return nil }
            return latest
        case .every(let nanoseconds):
            let elapsed = now.timeIntervalSince(lastFire)
            let interval = TimeInterval(nanoseconds) / 1e9
            let steps = (elapsed / interval).rounded(.down)
            return steps >= 1 ? lastFire.addingTimeInterval(steps * interval) : nil
        }
    }
}
