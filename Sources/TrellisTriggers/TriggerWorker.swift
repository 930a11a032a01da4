import TrellisCore
import TrellisQueue

/// Delivers one trigger's queued events to its target in batches, and settles each event: ack on
/// success, retry with backoff on failure, dead letter after the last attempt.
///
/// A batch is flushed when it has `maxItems` events, `maxBytes` bytes of data, or when its oldest
/// event has waited `maxWait`, whichever comes first. `concurrency` loops run side by side, each with
/// one batch in flight. The lease on a batch lasts the target's timeout plus `maxWait` plus 30 s, so
/// a crashed or hung worker's events are delivered again after that, with their attempt counter raised.
final class TriggerWorker: Sendable {
    let config: TriggerConfig
    let target: any BatchInvoking
    let queue: any EventQueue
    let metrics: TriggerMetrics
    let logger: Logger
    let backoff: RetryBackoff
    /// How often an idle worker looks for due events when nothing woke it. 100 ms.
    static let idlePoll: Duration = .milliseconds(100)
    /// How often the worker re-leases while it fills a batch during `maxWait`. 20 ms.
    static let fillPoll: Duration = .milliseconds(20)

    /// One per delivery loop, so `wake` reaches every idle loop.
    private let signals: [WakeSignal]

    init(config: TriggerConfig, target: any BatchInvoking, queue: any EventQueue, metrics: TriggerMetrics, logger: Logger) {
        self.config = config
        self.target = target
        self.queue = queue
        self.metrics = metrics
        self.logger = logger.with(["trigger": config.name])
        self.backoff = RetryBackoff(settings: config.retry)
        self.signals = (0..<config.batch.concurrency).map { _ in WakeSignal() }
    }

    var visibility: Duration { target.timeout + config.batch.maxWait + .seconds(30) }

    /// Wakes idle loops at once, for example after a producer enqueued events.
    func wake() {
        for signal in signals { signal.signal() }
    }

    /// Runs delivery loop `index` (0 ..< `concurrency`) until the task is cancelled. A batch in flight
    /// at cancellation finishes.
    func run(loop index: Int) async {
        while !Task.isCancelled {
            do {
                let events = try await collectBatch()
                if events.isEmpty {
                    await idle(signal: signals[index])
                    continue
                }
                await deliver(events)
            } catch is CancellationError {
                return
            } catch {
                logger.error("queue operation failed; retrying in 1 s", [("error", .string("\(error)"))])
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// Leases due events and keeps filling the batch until it is full or its oldest event waited
    /// `maxWait`. The leases of events already taken outlast the wait.
    func collectBatch() async throws -> [Event] {
        let settings = config.batch
        var events = try await queue.lease(
            trigger: config.name, maxItems: settings.maxItems, maxBytes: settings.maxBytes, visibility: visibility)
        guard !events.isEmpty else { return [] }
        var bytes = events.reduce(0) { $0 + $1.data.count }
        let oldest = events.map(\.time).min() ?? LogRecord.unixTimeNow()
        while events.count < settings.maxItems && bytes < settings.maxBytes {
            let waited = LogRecord.unixTimeNow() - oldest
            let remaining = settings.maxWait.seconds - waited
            guard remaining > 0 else { break }
            try await Task.sleep(for: min(Self.fillPoll, .milliseconds(Int64(remaining * 1000) + 1)))
            let more = try await queue.lease(
                trigger: config.name, maxItems: settings.maxItems - events.count, maxBytes: settings.maxBytes - bytes,
                visibility: visibility)
            events += more
            bytes += more.reduce(0) { $0 + $1.data.count }
        }
        return events
    }

    /// Waits until woken, the next event is due, or `idlePoll` passed.
    private func idle(signal: WakeSignal) async {
        var longest = Self.idlePoll
        if let due = try? await queue.nextDueTime(trigger: config.name) {
            let until = due - LogRecord.unixTimeNow()
            if until <= 0 { return }
            longest = min(longest, .milliseconds(Int64(until * 1000) + 1))
        }
        await signal.wait(timeout: longest)
    }

    /// Invokes the target with `events` and settles every event.
    func deliver(_ events: [Event]) async {
        metrics.delivered.increment(by: events.count)
        metrics.batchSize.observe(Double(events.count))
        let batch = Batch(trigger: config.name, events: events, maxAttempts: config.retry.maxAttempts)
        let result = await target.invokeBatch(batch, principal: config.principal)
        var random = SystemRandomNumberGenerator()
        let plan = Settlement.plan(events: events, result: result, maxAttempts: config.retry.maxAttempts) { attempt, requested in
            backoff.delay(afterAttempt: attempt, retryAfter: requested, using: &random)
        }
        var acked: [String] = []
        for (id, settlement) in plan {
            do {
                switch settlement {
                case .ack:
                    acked.append(id)
                case .retry(let delay, let error):
                    metrics.failed.increment()
                    metrics.retried.increment()
                    try await queue.retry(id, after: delay, error: error)
                case .deadLetter(let error):
                    metrics.failed.increment()
                    metrics.deadLettered.increment()
                    try await queue.deadLetter(id, error: error)
                    logger.warning("event dead-lettered", [("eventId", .string(id)), ("error", .string(error))])
                }
            } catch {
                // The lease expires and the event is delivered again: at-least-once holds.
                logger.error("settling an event failed", [("eventId", .string(id)), ("error", .string("\(error)"))])
            }
        }
        if !acked.isEmpty {
            do {
                try await queue.ack(acked)
                metrics.succeeded.increment(by: acked.count)
            } catch {
                logger.error("acknowledging events failed", [("count", .int(Int64(acked.count))), ("error", .string("\(error)"))])
            }
        }
        await refreshGauges()
    }

    func refreshGauges() async {
        guard let stats = try? await queue.stats(trigger: config.name) else { return }
        metrics.depth.set(stats.depth)
        metrics.oldestAgeSeconds.set(Int(stats.oldestAgeSeconds))
    }
}
