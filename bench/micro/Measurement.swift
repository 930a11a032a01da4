import Foundation

/// One microbenchmark result: the median over `repetitions` timed runs of the cost of one operation.
struct Measurement: Sendable {
    var group: String
    var name: String
    /// Median nanoseconds per operation, or another unit named by `unit`.
    var value: Double
    var unit: String
    /// Every repetition's value, slowest last, so a reader can judge the spread.
    var samples: [Double]

    /// The result as one JSON object, the format `bench/report.py` reads.
    var jsonObject: String {
        let escapedName = name.replacingOccurrences(of: "\"", with: "\\\"")
        let sampleList = samples.map { String(format: "%.2f", $0) }.joined(separator: ",")
        return "{\"group\":\"\(group)\",\"name\":\"\(escapedName)\",\"value\":\(String(format: "%.3f", value)),"
            + "\"unit\":\"\(unit)\",\"samples\":[\(sampleList)]}"
    }
}

/// Runs timed loops with ContinuousClock: one untimed warm-up run, then `repetitions` timed runs, and
/// keeps the median. Timings are reported, never asserted.
enum Stopwatch {
    /// Timed runs per benchmark; the median of these is reported.
    static let repetitions = 7

    /// Returns nanoseconds per operation for `body`, which performs `operations` operations per call.
    static func measure(
        _ group: String, _ name: String, operations: Int, repetitions: Int = repetitions, _ body: () -> Void
    ) -> Measurement {
        body()
        var samples: [Double] = []
        for _ in 0..<repetitions {
            let elapsed = ContinuousClock().measure(body)
            samples.append(nanoseconds(elapsed) / Double(operations))
        }
        return summary(group, name, samples)
    }

    /// The async form of `measure`, for handlers and decorator chains.
    static func measureAsync(
        _ group: String, _ name: String, operations: Int, repetitions: Int = repetitions, _ body: () async -> Void
    ) async -> Measurement {
        await body()
        var samples: [Double] = []
        for _ in 0..<repetitions {
            let start = ContinuousClock.now
            await body()
            samples.append(nanoseconds(ContinuousClock.now - start) / Double(operations))
        }
        return summary(group, name, samples)
    }

    static func summary(_ group: String, _ name: String, _ samples: [Double], unit: String = "ns/op") -> Measurement {
        let sorted = samples.sorted()
        return Measurement(group: group, name: name, value: sorted[sorted.count / 2], unit: unit, samples: sorted)
    }

    static func nanoseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) * 1e9 + Double(attoseconds) / 1e9
    }
}

/// Keeps a value alive so the optimizer cannot drop the work that produced it.
@inline(never)
func consume<T>(_ value: T) {
    withExtendedLifetime(value) {}
}

/// Reads the resident set size of this process in bytes from `/proc/self/statm` (pages times page size).
func residentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let residentPages = Int(fields[1]) else { return 0 }
    return residentPages * sysconf(Int32(_SC_PAGESIZE))
}
