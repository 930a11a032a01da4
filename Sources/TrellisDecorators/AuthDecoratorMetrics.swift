import Synchronization
import TrellisCore

/// The counters of one auth decorator: `trellis_auth_successes_total{function,decorator}` and
/// `trellis_auth_failures_total{function,decorator,reason}`, where `reason` is the failure's code.
///
/// When the decorator is built for one function, every series is looked up at construction and
/// recording takes no lock. A chain shared by all functions learns the function per request, so its
/// series are looked up on first use and kept in a locked cache.
final class AuthDecoratorMetrics: Sendable {
    static let successName = "trellis_auth_successes_total"
    static let failureName = "trellis_auth_failures_total"

    private struct Series: Sendable {
        let success: Counter
        let failures: [String: Counter]
    }

    private let registry: MetricsRegistry
    private let decorator: String
    private let reasons: [String]
    private let fixedFunction: String?
    private let fixedSeries: Series?
    private let seriesByFunction = Mutex<[String: Series]>([:])

    /// `reasons` are the failure codes the decorator can record, created up front so that they show as
    /// zero before the first failure. A code outside the list is still counted.
    init(registry: MetricsRegistry, decorator: String, reasons: [String], functionName: String?) {
        self.registry = registry
        self.decorator = decorator
        self.reasons = reasons
        self.fixedFunction = functionName
        self.fixedSeries = functionName.map { Self.makeSeries(registry, decorator, reasons, function: $0) }
    }

    func recordSuccess(function: String) {
        series(for: function).success.increment()
    }

    func recordFailure(function: String, reason: String) {
        if let counter = series(for: function).failures[reason] {
            counter.increment()
            return
        }
        registry.counter(
            Self.failureName, help: Self.failureHelp,
            labels: ["function": function, "decorator": decorator, "reason": reason]
        ).increment()
    }

    private func series(for function: String) -> Series {
        if let fixedSeries, function == fixedFunction { return fixedSeries }
        return seriesByFunction.withLock { cache in
            if let series = cache[function] { return series }
            let series = Self.makeSeries(registry, decorator, reasons, function: function)
            cache[function] = series
            return series
        }
    }

    private static let failureHelp = "Requests an auth decorator rejected, by failure code."

    private static func makeSeries(_ registry: MetricsRegistry, _ decorator: String, _ reasons: [String], function: String) -> Series {
        let success = registry.counter(
            successName, help: "Requests an auth decorator let through.",
            labels: ["function": function, "decorator": decorator])
        var failures: [String: Counter] = [:]
        for reason in reasons {
            failures[reason] = registry.counter(
                failureName, help: failureHelp, labels: ["function": function, "decorator": decorator, "reason": reason])
        }
        return Series(success: success, failures: failures)
    }
}
