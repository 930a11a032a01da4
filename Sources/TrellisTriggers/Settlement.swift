import TrellisCore

/// The fate of each event of a finished batch: acknowledged, retried later, or dead-lettered.
public enum Settlement: Sendable, Equatable {
    case ack
    case retry(after: Duration, error: String)
    case deadLetter(error: String)

    /// Decides each event's fate from the batch result. An event not listed among the failures
    /// succeeded. A failed event is dead-lettered when its failure is permanent or it has had
    /// `maxAttempts` deliveries; otherwise it is retried after `delay(attempt, requested)`, which gets
    /// the handler's `retryAfter` when it gave one.
    public static func plan(
        events: [Event], result: BatchResult, maxAttempts: Int,
        delay: (_ attempt: Int, _ requested: Duration?) -> Duration
    ) -> [(id: String, settlement: Settlement)] {
        var failures: [String: BatchResult.Failure] = [:]
        for failure in result.failures where failures[failure.eventID] == nil {
            failures[failure.eventID] = failure
        }
        return events.map { event in
            guard let failure = failures[event.id] else { return (event.id, .ack) }
            if failure.permanent || event.attempt >= maxAttempts {
                return (event.id, .deadLetter(error: failure.reason))
            }
            return (event.id, .retry(after: delay(event.attempt, failure.retryAfter), error: failure.reason))
        }
    }

    /// Every event of a batch failed with `reason`, as when the handler threw.
    public static func failingAll(_ events: [Event], reason: String) -> BatchResult {
        BatchResult(failures: events.map { BatchResult.Failure(eventID: $0.id, reason: reason) })
    }
}
