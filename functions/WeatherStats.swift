import Synchronization
import TrellisCore

/// A batch function fed by the `weather` file trigger: each event is one row of a weather CSV (such
/// as vega-datasets' `seattle-weather.csv`: date, precipitation, temp_max, temp_min, wind, weather),
/// and the function keeps running statistics over every row it has seen. `GET /function/weather-report`
/// returns them.
///
/// The statistics live in memory: they restart empty with the process. A row that does not parse is a
/// permanent failure, so it goes to the dead-letter store at once instead of being retried.
enum WeatherStats {
    static let batchOptions = FunctionOptions(
        timeout: .seconds(30), maxConcurrency: 1, owner: "data-team",
        summary: "Running statistics over weather CSV rows from the weather trigger.")
    static let reportOptions = FunctionOptions(
        methods: ["GET"], timeout: .seconds(5), owner: "data-team", summary: "The weather statistics so far.")

    /// One CSV row; the file trigger gives every value as a string.
    struct Row: Decodable, Sendable {
        var date: String
        var precipitation: String
        var temp_max: String
        var temp_min: String
        var wind: String
        var weather: String
    }

    struct Report: Encodable, Sendable {
        var rows = 0
        var firstDate: String?
        var lastDate: String?
        var meanMaxTemperatureC = 0.0
        var meanMinTemperatureC = 0.0
        var totalPrecipitationMm = 0.0
        var maxWindMs = 0.0
        var daysByWeather: [String: Int] = [:]
    }

    private static let state = Mutex(Report())

    @Sendable static func handle(_ rows: [TypedEvent<Row>], _ context: Context) async throws -> BatchResult {
        var failures: [BatchResult.Failure] = []
        var parsed: [(Row, Double, Double, Double, Double)] = []
        for typed in rows {
            let row = typed.item
            guard let rain = Double(row.precipitation), let high = Double(row.temp_max), let low = Double(row.temp_min),
                let wind = Double(row.wind), [rain, high, low, wind].allSatisfy(\.isFinite), !row.date.isEmpty
            else {
                failures.append(
                    BatchResult.Failure(eventID: typed.event.id, reason: "row \(typed.event.source) has a value that is not a finite number", permanent: true))
                continue
            }
            parsed.append((row, rain, high, low, wind))
        }
        state.withLock { report in
            for (row, rain, high, low, wind) in parsed {
                let count = Double(report.rows)
                report.meanMaxTemperatureC = (report.meanMaxTemperatureC * count + high) / (count + 1)
                report.meanMinTemperatureC = (report.meanMinTemperatureC * count + low) / (count + 1)
                report.rows += 1
                report.totalPrecipitationMm += rain
                report.maxWindMs = max(report.maxWindMs, wind)
                report.daysByWeather[row.weather, default: 0] += 1
                if report.firstDate.map({ row.date < $0 }) ?? true { report.firstDate = row.date }
                if report.lastDate.map({ row.date > $0 }) ?? true { report.lastDate = row.date }
            }
        }
        return BatchResult(failures: failures)
    }

    @Sendable static func report(_ request: Request, _ context: Context) async throws -> Response {
        try .json(state.withLock { $0 })
    }
}
