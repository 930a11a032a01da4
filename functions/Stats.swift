import TrellisCore

/// `POST /function/stats` with `{"values": [3, 1, 4.5], "percentiles": [50, 90]}` returns count, sum,
/// mean, sample standard deviation, minimum, maximum and the requested percentiles (default 50, 90,
/// 99). A Codable function behind an API key (see `runtime/trellis.json`).
enum Stats {
    static let options = FunctionOptions(
        methods: ["POST"], timeout: .seconds(10), owner: "data-team",
        decorators: [ServerTimingDecorator()], summary: "Summary statistics over a posted array of numbers.")

    /// The maximum number of values one request may post.
    static let maxValues = 100_000

    struct Input: Decodable, Sendable {
        var values: [Double]
        var percentiles: [Double]?
    }

    struct Output: Encodable, Sendable {
        var count: Int
        var sum: Double
        var mean: Double
        /// Sample standard deviation (n - 1 in the denominator); 0 for a single value.
        var standardDeviation: Double
        var min: Double
        var max: Double
        /// Percentile (as text, for example "90") to value, by linear interpolation between closest ranks.
        var percentiles: [String: Double]
    }

    @Sendable static func compute(_ input: Input, _ context: Context) async throws -> Output {
        guard !input.values.isEmpty else {
            throw HTTPError(400, code: "invalid_body", message: "Field 'values' is empty; post at least one number.")
        }
        guard input.values.count <= maxValues else {
            throw HTTPError(
                400, code: "invalid_body",
                message: "Field 'values' has \(input.values.count) numbers; the maximum is \(maxValues).")
        }
        let requested = input.percentiles ?? [50, 90, 99]
        if let bad = requested.first(where: { !(0...100).contains($0) }) {
            throw HTTPError(400, code: "invalid_body", message: "Percentile \(bad) is outside 0...100.")
        }

        let sorted = input.values.sorted()
        let count = sorted.count
        let sum = sorted.reduce(0, +)
        let mean = sum / Double(count)
        let squares = sorted.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        let deviation = count > 1 ? (squares / Double(count - 1)).squareRoot() : 0

        var percentiles: [String: Double] = [:]
        for percentile in requested {
            percentiles[label(percentile)] = value(atPercentile: percentile, in: sorted)
        }
        // Values near Double's limit (1e308) can make the sum or the variance overflow to infinity,
        // which JSON cannot carry; that is the caller's input, so it gets a 422, not a 500.
        guard sum.isFinite, deviation.isFinite, percentiles.values.allSatisfy(\.isFinite) else {
            throw HTTPError(
                422, code: "overflow",
                message: "The statistics of these values overflow a 64-bit float; send values below about 1e300 in magnitude.")
        }
        return Output(
            count: count, sum: sum, mean: mean, standardDeviation: deviation, min: sorted[0], max: sorted[count - 1],
            percentiles: percentiles)
    }

    /// The value at `percentile` (0...100) of ascending `sorted`, interpolating linearly between the two
    /// closest ranks (the method NumPy calls "linear").
    static func value(atPercentile percentile: Double, in sorted: [Double]) -> Double {
        let rank = percentile / 100 * Double(sorted.count - 1)
        let lower = Int(rank.rounded(.down))
        let upper = min(lower + 1, sorted.count - 1)
        let fraction = rank - Double(lower)
        return sorted[lower] + (sorted[upper] - sorted[lower]) * fraction
    }

    private static func label(_ percentile: Double) -> String {
        percentile.rounded() == percentile ? String(Int(percentile)) : String(percentile)
    }
}
