import Foundation
import Testing
import TrellisCore
@testable import TrellisTriggers

struct SchedulePlanTests {
    static let t0 = instant("2026-01-01T03:00:00Z")

    static func settings(_ timing: ScheduleSettings.Timing, misfire: ScheduleSettings.Misfire, zone: String = "UTC") -> ScheduleSettings {
        var settings = ScheduleSettings(timing: timing)
        settings.misfire = misfire
        settings.timeZone = zone
        return settings
    }

    struct StartupCase: CustomTestStringConvertible, Sendable {
        var name: String
        var timing: ScheduleSettings.Timing
        var misfire: ScheduleSettings.Misfire
        var lastFire: Date?
        var now: Date
        var fireMissed: Date?
        var next: Date?
        var testDescription: String { name }
    }

    static let startupCases: [StartupCase] = [
        StartupCase(
            name: "every: two missed, fire the latest once", timing: .every(.seconds(60)), misfire: .fireOnce,
            lastFire: t0, now: t0 + 150, fireMissed: t0 + 120, next: t0 + 180),
        StartupCase(
            name: "every: two missed, skip", timing: .every(.seconds(60)), misfire: .skip,
            lastFire: t0, now: t0 + 150, fireMissed: nil, next: t0 + 180),
        StartupCase(
            name: "every: none missed", timing: .every(.seconds(60)), misfire: .fireOnce,
            lastFire: t0, now: t0 + 30, fireMissed: nil, next: t0 + 60),
        StartupCase(
            name: "every: a time equal to now is missed", timing: .every(.seconds(60)), misfire: .fireOnce,
            lastFire: t0, now: t0 + 120, fireMissed: t0 + 120, next: t0 + 180),
        StartupCase(
            name: "every: no stored fire waits one interval", timing: .every(.seconds(60)), misfire: .fireOnce,
            lastFire: nil, now: t0, fireMissed: nil, next: t0 + 60),
        StartupCase(
            name: "every: clock behind the last fire", timing: .every(.seconds(60)), misfire: .fireOnce,
            lastFire: t0, now: t0 - 100, fireMissed: nil, next: t0 + 60),
        StartupCase(
            name: "every: fractional interval stays on the grid", timing: .every(.milliseconds(1500)), misfire: .skip,
            lastFire: t0, now: t0 + 4, fireMissed: nil, next: t0 + 4.5),
        StartupCase(
            name: "cron: hourly, two missed, fire the latest", timing: .cron("0 * * * *"), misfire: .fireOnce,
            lastFire: t0, now: t0 + 2.5 * 3600, fireMissed: t0 + 2 * 3600, next: t0 + 3 * 3600),
        StartupCase(
            name: "cron: hourly, two missed, skip", timing: .cron("0 * * * *"), misfire: .skip,
            lastFire: t0, now: t0 + 2.5 * 3600, fireMissed: nil, next: t0 + 3 * 3600),
        StartupCase(
            name: "cron: none missed", timing: .cron("0 * * * *"), misfire: .fireOnce,
            lastFire: t0, now: t0 + 1800, fireMissed: nil, next: t0 + 3600),
        StartupCase(
            name: "cron: no stored fire", timing: .cron("0 * * * *"), misfire: .fireOnce,
            lastFire: nil, now: t0 + 1800, fireMissed: nil, next: t0 + 3600),
        StartupCase(
            name: "cron: clock behind the last fire never repeats it", timing: .cron("0 * * * *"), misfire: .fireOnce,
            lastFire: t0 + 2 * 3600, now: t0 + 1800, fireMissed: nil, next: t0 + 3 * 3600),
    ]

    @Test(arguments: startupCases)
    func startupTable(_ row: StartupCase) throws {
        let plan = try SchedulePlan(settings: Self.settings(row.timing, misfire: row.misfire))
        let decision = plan.startup(lastFire: row.lastFire, now: row.now)
        #expect(decision.fireMissed == row.fireMissed)
        #expect(decision.next == row.next)
    }

    @Test func cronStartupUsesZone() throws {
        let settings = Self.settings(.cron("30 2 * * *"), misfire: .fireOnce, zone: "Europe/Berlin")
        let plan = try SchedulePlan(settings: settings)
        let decision = plan.startup(lastFire: instant("2026-03-28T02:30:00+01:00"), now: instant("2026-03-29T12:00:00+02:00"))
        #expect(decision.fireMissed == instant("2026-03-29T03:00:00+02:00"))
        #expect(decision.next == instant("2026-03-30T02:30:00+02:00"))
    }

    @Test func everyNextFireIsAnchored() throws {
        let plan = try SchedulePlan(settings: Self.settings(.every(.seconds(90)), misfire: .skip))
        #expect(plan.nextFire(after: Self.t0) == Self.t0 + 90)
        #expect(plan.nextFire(after: Self.t0 + 90) == Self.t0 + 180)
    }

    struct InvalidCase: CustomTestStringConvertible, Sendable {
        var timing: ScheduleSettings.Timing
        var zone = "UTC"
        var field: String
        var testDescription: String { field }
    }

    static let invalidCases: [InvalidCase] = [
        InvalidCase(timing: .cron("61 * * * *"), field: "triggers.tick.cron"),
        // 31 February: rejected at startup instead of a schedule that silently never fires.
        InvalidCase(timing: .cron("0 0 31 2 *"), field: "triggers.tick.cron"),
        InvalidCase(timing: .cron("0 * * * *"), zone: "Mars/Olympus", field: "triggers.tick.timeZone"),
        InvalidCase(timing: .every(.milliseconds(49)), field: "triggers.tick.everySeconds"),
        InvalidCase(timing: .every(.seconds(-5)), field: "triggers.tick.everySeconds"),
    ]

    @Test(arguments: invalidCases)
    func invalidSettingsNameField(_ row: InvalidCase) {
        #expect {
            _ = try SchedulePlan(settings: Self.settings(row.timing, misfire: .skip, zone: row.zone), path: "triggers.tick")
        } throws: { error in
            (error as? ConfigError)?.field == row.field
        }
    }
}
