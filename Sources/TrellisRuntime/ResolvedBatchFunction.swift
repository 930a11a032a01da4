import Synchronization
import TrellisCore
import TrellisDecorators

/// A batch function ready to serve: its effective options after the config's overrides, its composed
/// batch chain, its concurrency gate and its metric series. Built once at startup and shared by every
/// worker.
public final class ResolvedBatchFunction: Sendable {
    public let name: String
    public let timeout: Duration
    /// How many batches may run at once.
    public let maxConcurrency: Int
    public let owner: String?
    public let summary: String?
    public let blocking: Bool
    /// The chain's decorator names, outermost first.
    public let decoratorNames: [String]

    private let chain: BatchHandler
    private let inFlight = Atomic<Int>(0)
    private let metrics: BatchFunctionMetrics

    init(
        name: String, timeout: Duration, maxConcurrency: Int, owner: String?, summary: String?, blocking: Bool,
        decorators: [any BatchDecorator], handler: @escaping BatchHandler, metrics: MetricsRegistry
    ) {
        self.name = name
        self.timeout = timeout
        self.maxConcurrency = maxConcurrency
        self.owner = owner
        self.summary = summary
        self.blocking = blocking
        self.decoratorNames = decorators.map(\.name)
        self.chain = BatchDecoratorChain.compose(decorators, around: handler)
        self.metrics = BatchFunctionMetrics(function: name, registry: metrics)
    }

    /// Batches running now.
    public var inFlightCount: Int { inFlight.load(ordering: .relaxed) }

    /// How long a batch turned away at the concurrency limit should wait before its retry.
    public static let concurrencyRetryAfter: Duration = .seconds(1)

    /// Runs the chain and the handler and records metrics. Never throws: a thrown error fails every
    /// event of the batch, with the error's description as the reason and neither `retryAfter` nor
    /// `permanent` set, and is logged at `error` with the batch id.
    ///
    /// When `maxConcurrency` batches are already running, the chain does not run and every event fails
    /// with `retryAfter` set to `concurrencyRetryAfter`. That uses up one delivery attempt of each event,
    /// so a worker should keep `inFlightCount` below the limit rather than rely on this answer.
    ///
    /// The deadline is not enforced here: the caller cancels the task at `context.deadline` and calls
    /// `context.markTimedOut()`, and the events then fail with a timeout reason.
    public func invoke(_ batch: Batch, context: Context) async -> BatchResult {
        let start = ContinuousClock.now
        let running = inFlight.add(1, ordering: .relaxed).newValue
        defer { inFlight.subtract(1, ordering: .relaxed) }
        guard running <= maxConcurrency else {
            let reason = "function \"\(name)\" is running its maximum of \(maxConcurrency) batches"
            context.logger.warning("batch rejected at concurrency limit", [("maxConcurrency", .int(Int64(maxConcurrency)))])
            let result = Self.failingEveryEvent(of: batch, reason: reason, retryAfter: Self.concurrencyRetryAfter)
            metrics.record(batch: batch, result: result, seconds: (ContinuousClock.now - start).seconds)
            return result
        }

        let result: BatchResult
        do {
            result = try await chain(batch, context)
        } catch {
            let reason = Self.reason(for: error, context: context)
            context.logger.error(
                "batch failed", [("trigger", .string(batch.trigger)), ("items", .int(Int64(batch.events.count))), ("error", .string(reason))])
            result = Self.failingEveryEvent(of: batch, reason: reason, retryAfter: nil)
        }
        metrics.record(batch: batch, result: result, seconds: (ContinuousClock.now - start).seconds)
        return result
    }

    /// Returns the failure reason of a thrown error. A cancellation after the deadline reads as a timeout,
    /// because `CancellationError` alone does not say why the task stopped.
    static func reason(for error: any Error, context: Context) -> String {
        if context.isTimedOut { return "timed out: the batch ran past its deadline" }
        if error is CancellationError { return "cancelled before the batch finished" }
        return String(describing: error)
    }

    static func failingEveryEvent(of batch: Batch, reason: String, retryAfter: Duration?) -> BatchResult {
        BatchResult(failures: batch.events.map { BatchResult.Failure(eventID: $0.id, reason: reason, retryAfter: retryAfter) })
    }
}

/// The metric series of one batch function, looked up once so that recording takes no registry lock:
/// `trellis_batch_invocations_total{function,outcome}` with outcome `ok` (no event failed), `partial`
/// or `failed` (every event failed), `trellis_batch_duration_seconds{function}` and
/// `trellis_batch_size{function}`, events per batch.
final class BatchFunctionMetrics: Sendable {
    static let sizeBuckets: [Double] = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000]

    let ok: Counter
    let partial: Counter
    let failed: Counter
    let duration: Histogram
    let size: Histogram

    init(function: String, registry: MetricsRegistry) {
        func invocations(_ outcome: String) -> Counter {
            registry.counter(
                "trellis_batch_invocations_total", help: "Batch invocations by function and outcome (ok, partial, failed).",
                labels: ["function": function, "outcome": outcome])
        }
        ok = invocations("ok")
        partial = invocations("partial")
        failed = invocations("failed")
        duration = registry.histogram(
            "trellis_batch_duration_seconds", help: "Batch invocation time from the chain's start to its result.",
            labels: ["function": function])
        size = registry.histogram(
            "trellis_batch_size", help: "Events per batch invocation.", buckets: Self.sizeBuckets, labels: ["function": function])
    }

    func record(batch: Batch, result: BatchResult, seconds: Double) {
        let counts = BatchFailureCounts(batch: batch, result: result)
        if counts.failed == 0 {
            ok.increment()
        } else if counts.failed == counts.items {
            failed.increment()
        } else {
            partial.increment()
        }
        duration.observe(seconds)
        size.observe(Double(batch.events.count))
    }
}
