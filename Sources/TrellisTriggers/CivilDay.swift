/// A day of the proleptic Gregorian calendar, counted in days since 1970-01-01, with its year, month,
/// day and weekday. It has no time zone: cron matching works on the local calendar of a zone.
///
/// The conversion is the days-from-civil algorithm described by Howard Hinnant ("chrono-Compatible
/// Low-Level Date Algorithms"), which shifts the year to start in March so February's length comes last.
struct CivilDay: Sendable, Equatable {
    let daysSinceEpoch: Int64
    let year: Int64
    /// 1 to 12.
    let month: Int
    /// 1 to 31.
    let day: Int
    /// 0 (Sunday) to 6 (Saturday).
    let weekday: Int

    init(daysSinceEpoch: Int64) {
        self.daysSinceEpoch = daysSinceEpoch
        let shifted = daysSinceEpoch + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthFromMarch = (5 * dayOfYear + 2) / 153
        day = Int(dayOfYear - (153 * monthFromMarch + 2) / 5 + 1)
        month = Int(monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9)
        year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        // 1970-01-01 was a Thursday (4).
        let weekdayRemainder = (daysSinceEpoch + 4) % 7
        weekday = Int(weekdayRemainder >= 0 ? weekdayRemainder : weekdayRemainder + 7)
    }

    init(year: Int64, month: Int, day: Int) {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let monthFromMarch = Int64(month > 2 ? month - 3 : month + 9)
        let dayOfYear = (153 * monthFromMarch + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        self.init(daysSinceEpoch: era * 146_097 + dayOfEra - 719_468)
    }

    func adding(days: Int) -> CivilDay { CivilDay(daysSinceEpoch: daysSinceEpoch + Int64(days)) }
}
