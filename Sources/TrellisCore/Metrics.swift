import Foundation
import Synchronization

/// Counters, gauges and histograms, rendered in the Prometheus text exposition format (version 0.0.4).
///
/// Look a series up once (for example at startup, per function) and keep the returned object: updates
/// are single atomic operations with no lock. The registry's lock is taken only to create a series and
/// to render.
public final class MetricsRegistry: Sendable {
    public enum Kind: String, Sendable { case counter, gauge, histogram }

    private final class Family: Sendable {
        let name: String
        let help: String
        let kind: Kind
        let buckets: [Double]
        let series = Mutex<[(labels: String, metric: any MetricSeries)]>([])

        init(name: String, help: String, kind: Kind, buckets: [Double]) {
            self.name = name
            self.help = help
            self.kind = kind
            self.buckets = buckets
        }
    }

    private let families = Mutex<[(name: String, family: Family)]>([])

    public init() {}

    public func counter(_ name: String, help: String, labels: KeyValuePairs<String, String> = [:]) -> Counter {
        series(name, help: help, kind: .counter, buckets: [], labels: labels) { Counter() }
    }

    public func gauge(_ name: String, help: String, labels: KeyValuePairs<String, String> = [:]) -> Gauge {
        series(name, help: help, kind: .gauge, buckets: [], labels: labels) { Gauge() }
    }

    /// A histogram with the given upper bounds (in the metric's unit, seconds for durations).
    public func histogram(
        _ name: String, help: String, buckets: [Double] = Histogram.defaultDurationBuckets,
        labels: KeyValuePairs<String, String> = [:]
    ) -> Histogram {
        series(name, help: help, kind: .histogram, buckets: buckets, labels: labels) { Histogram(bounds: buckets) }
    }

    private func series<Metric: MetricSeries>(
        _ name: String, help: String, kind: Kind, buckets: [Double], labels: KeyValuePairs<String, String>,
        make: () -> Metric
    ) -> Metric {
        let family = families.withLock { families in
            if let existing = families.first(where: { $0.name == name }) {
                precondition(existing.family.kind == kind, "metric \(name) registered as \(existing.family.kind)")
                return existing.family
            }
            let family = Family(name: name, help: help, kind: kind, buckets: buckets)
            families.append((name: name, family: family))
            return family
        }
        let labelText = labels.map { "\($0.key)=\"\(Self.escapeLabelValue($0.value))\"" }.joined(separator: ",")
        return family.series.withLock { series in
            if let existing = series.first(where: { $0.labels == labelText }) {
                return existing.metric as! Metric
            }
            let metric = make()
            series.append((labels: labelText, metric: metric))
            return metric
        }
    }

    /// The whole registry in the Prometheus text format, families in registration order.
    public func render() -> String {
        var output = ""
        let snapshot = families.withLock { $0 }
        for (name, family) in snapshot {
            output += "# HELP \(name) \(Self.escapeHelp(family.help))\n# TYPE \(name) \(family.kind.rawValue)\n"
            for (labels, metric) in family.series.withLock({ $0 }) {
                metric.render(name: name, labels: labels, into: &output)
            }
        }
        return output
    }

    static func escapeLabelValue(_ value: String) -> String {
        var escaped = ""
        for character in value {
            switch character {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    static func escapeHelp(_ help: String) -> String {
        help.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }

    static func format(_ value: Double) -> String {
        if value == .infinity { return "+Inf" }
        if value.rounded() == value && abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}

protocol MetricSeries: Sendable {
    func render(name: String, labels: String, into output: inout String)
}

extension MetricSeries {
    static func braced(_ labels: String) -> String { labels.isEmpty ? "" : "{\(labels)}" }
}

public final class Counter: MetricSeries {
    private let count = Atomic<Int>(0)

    public func increment(by amount: Int = 1) { count.add(amount, ordering: .relaxed) }

    public var value: Int { count.load(ordering: .relaxed) }

    func render(name: String, labels: String, into output: inout String) {
        output += "\(name)\(Self.braced(labels)) \(value)\n"
    }
}

public final class Gauge: MetricSeries {
    private let current = Atomic<Int>(0)

    public func increment(by amount: Int = 1) { current.add(amount, ordering: .relaxed) }
    public func decrement(by amount: Int = 1) { current.subtract(amount, ordering: .relaxed) }
    public func set(_ value: Int) { current.store(value, ordering: .relaxed) }

    public var value: Int { current.load(ordering: .relaxed) }

    func render(name: String, labels: String, into output: inout String) {
        output += "\(name)\(Self.braced(labels)) \(value)\n"
    }
}

/// A histogram over fixed upper bounds. The sum is kept in microunits (microseconds for seconds) in an
/// integer so that it can be updated atomically.
public final class Histogram: MetricSeries {
    /// 0.5 ms to 10 s, in seconds.
    public static let defaultDurationBuckets: [Double] = [
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
    ]

    let bounds: [Double]
    private let counts: [Counter]
    private let total = Atomic<Int>(0)
    private let sumMicros = Atomic<Int>(0)

    init(bounds: [Double]) {
        self.bounds = bounds.sorted()
        self.counts = bounds.map { _ in Counter() }
    }

    public func observe(_ value: Double) {
        if let index = bounds.firstIndex(where: { value <= $0 }) {
            counts[index].increment()
        }
        total.add(1, ordering: .relaxed)
        sumMicros.add(Int((value * 1_000_000).rounded()), ordering: .relaxed)
    }

    public var count: Int { total.load(ordering: .relaxed) }

    func render(name: String, labels: String, into output: inout String) {
        let prefix = labels.isEmpty ? "" : labels + ","
        var cumulative = 0
        for (index, bound) in bounds.enumerated() {
            cumulative += counts[index].value
            output += "\(name)_bucket{\(prefix)le=\"\(MetricsRegistry.format(bound))\"} \(cumulative)\n"
        }
        let count = total.load(ordering: .relaxed)
        output += "\(name)_bucket{\(prefix)le=\"+Inf\"} \(count)\n"
        let sum = Double(sumMicros.load(ordering: .relaxed)) / 1_000_000
        output += "\(name)_sum\(Self.braced(labels)) \(MetricsRegistry.format(sum))\n"
        output += "\(name)_count\(Self.braced(labels)) \(count)\n"
    }
}
