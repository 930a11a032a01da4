import Synchronization
import TrellisCore

/// The decision counters of one rate-limit decorator:
/// `trellis_ratelimit_decisions_total{function,decorator,outcome}`.
///
/// When the decorator is built for one function, its three series are looked up at construction.
/// A decorator may also serve several functions: a config-wide chain, or one declared in code before
/// the function name is known. It looks up each function's series on that function's first request
/// and keeps them, so the registry's lock is taken once per function, not per request.
final class RateLimitMetrics: Sendable {
    static let name = "trellis_ratelimit_decisions_total"
    static let help = "Rate-limit decisions by function, decorator and outcome (allowed, limited, shadow_limited)."

    /// The counters of one function.
    struct Series: Sendable {
        let allowed: Counter
        let limited: Counter
        let shadowLimited: Counter

        init(registry: MetricsRegistry, function: String, decorator: String) {
            func counter(_ outcome: RateLimitOutcome) -> Counter {
                registry.counter(
                    RateLimitMetrics.name, help: RateLimitMetrics.help,
                    labels: ["function": function, "decorator": decorator, "outcome": outcome.rawValue])
            }
            allowed = counter(.allowed)
            limited = counter(.limited)
            shadowLimited = counter(.shadowLimited)
        }

        func counter(for outcome: RateLimitOutcome) -> Counter {
            switch outcome {
            case .allowed: return allowed
            case .limited: return limited
            case .shadowLimited: return shadowLimited
            }
        }
    }

    private let registry: MetricsRegistry?
    private let decorator: String
    private let fixedFunction: String?
    private let fixedSeries: Series?
    private let seriesByFunction = Mutex<[String: Series]>([:])

    /// Creates the counters. A nil `registry` counts nothing, and a nil `function` means the decorator
    /// may serve several functions.
    init(registry: MetricsRegistry?, decorator: String, function: String?) {
        self.registry = registry
        self.decorator = decorator
        self.fixedFunction = function
        if let registry, let function {
            fixedSeries = Series(registry: registry, function: function, decorator: decorator)
        } else {
            fixedSeries = nil
        }
    }

    /// Counts `count` decisions of one kind: 1 per request, 1 per event of a batch.
    func record(_ outcome: RateLimitOutcome, function: String, count: Int = 1) {
        guard let registry else { return }
        if let fixedSeries, function == fixedFunction {
            fixedSeries.counter(for: outcome).increment(by: count)
            return
        }
        let series = seriesByFunction.withLock { cache in
            if let series = cache[function] { return series }
            let series = Series(registry: registry, function: function, decorator: decorator)
            cache[function] = series
            return series
        }
        series.counter(for: outcome).increment(by: count)
    }

    static let delayedName = "trellis_ratelimit_delayed_events_total"

    /// Counts batch events that waited for tokens before running, in
    /// `trellis_ratelimit_delayed_events_total{function,decorator}`. The series is looked up per call,
    /// which takes the registry's lock once per delayed part of a batch, not once per event.
    func recordDelayed(_ count: Int, function: String) {
        guard let registry else { return }
        registry.counter(
            Self.delayedName, help: "Batch events a rate-limit decorator held back until its bucket refilled.",
            labels: ["function": function, "decorator": decorator]
        ).increment(by: count)
    }
}
