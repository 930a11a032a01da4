import Foundation

/// Converts between instants and wall-clock times of one time zone, both in whole seconds. A wall-clock
/// time is written as the Unix seconds it would be in UTC, so `wallClock / 86_400` is its local day.
///
/// Offsets come from Foundation's `TimeZone`, which reads the IANA database (`/usr/share/zoneinfo` on
/// Linux). `resolve` assumes at most one offset change within a day of the wall-clock time, which holds
/// for every zone in the current database.
struct ZoneClock {
    /// The instants that one wall-clock time maps to.
    enum Resolution: Equatable {
        /// The usual case: one instant.
        case unique(Int64)
        /// A fall-back change repeats the time: the first and the second instant.
        case repeated(Int64, Int64)
        /// A spring-forward change skips the time; `gapEnd` is the instant of the change, whose
        /// wall-clock time is the end of the gap (03:00 for Europe/Berlin's 02:00-03:00 gap).
        case skipped(gapEnd: Int64)
    }

    let timeZone: TimeZone

    init(_ timeZone: TimeZone) { self.timeZone = timeZone }

    /// The zone's offset from UTC at `instant`, in seconds.
    func offset(at instant: Int64) -> Int64 {
        Int64(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(instant))))
    }

    func wallClock(at instant: Int64) -> Int64 { instant + offset(at: instant) }

    func resolve(wallClock: Int64) -> Resolution {
        // The offsets a day before and after bound the ones that can apply; offsets stay within ±1 day.
        let before = offset(at: wallClock - 86_400)
        let after = offset(at: wallClock + 86_400)
        // A larger offset gives an earlier instant, so try it first.
        let candidates = before == after ? [before] : [max(before, after), min(before, after)]
        let instants = candidates.map { wallClock - $0 }.filter { self.wallClock(at: $0) == wallClock }
        switch instants.count {
        case 0:
            return .skipped(gapEnd: changeInstant(from: wallClock - after, to: wallClock - before, leaving: before))
        case 1:
            return .unique(instants[0])
        default:
            return .repeated(instants[0], instants[1])
        }
    }

    /// Binary-searches the first instant in `low...high` whose offset is no longer `oldOffset`.
    private func changeInstant(from low: Int64, to high: Int64, leaving oldOffset: Int64) -> Int64 {
        var low = low
        var high = high
        while low < high {
            let middle = low + (high - low) / 2
            if offset(at: middle) == oldOffset { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
