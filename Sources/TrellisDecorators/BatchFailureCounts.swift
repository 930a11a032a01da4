import TrellisCore

/// The outcome counts of one batch invocation, by the rules the worker applies: a failed event is
/// dead-lettered when its failure is `permanent` or its `attempt` has reached `batch.maxAttempts`,
/// and retried otherwise.
public struct BatchFailureCounts: Sendable, Equatable {
    /// Events in the batch.
    public var items: Int
    /// Events that failed: those listed in the result, or every event when the handler threw.
    public var failed: Int
    public var retried: Int
    public var deadLettered: Int

    /// Counts the outcome of a batch whose handler returned `result`. A failure whose event id is
    /// not in the batch is ignored, and an event listed twice counts once (as dead-lettered when
    /// any of its failures is permanent).
    public init(batch: Batch, result: BatchResult) {
        var permanentByID: [String: Bool] = [:]
        for failure in result.failures {
            permanentByID[failure.eventID] = (permanentByID[failure.eventID] ?? false) || failure.permanent
        }
        self.init(batch: batch) { permanentByID[$0.id] }
    }

    /// Counts the outcome of a batch whose handler threw: every event failed, none permanently.
    public init(failingEveryEventOf batch: Batch) {
        self.init(batch: batch) { _ in false }
    }

    /// `permanence` returns nil for an event that succeeded, else whether its failure is permanent.
    private init(batch: Batch, permanence: (Event) -> Bool?) {
        items = batch.events.count
        failed = 0
        retried = 0
        deadLettered = 0
        for event in batch.events {
            guard let permanent = permanence(event) else { continue }
            failed += 1
            if permanent || event.attempt >= batch.maxAttempts { deadLettered += 1 } else { retried += 1 }
        }
    }
}
