import TrellisCore
import TrellisQueue

/// Stores the events of one request (a webhook delivery, `trellis events send`) with the
/// deduplication rules both share, in one queue call, so the events keep their order.
///
/// Stored events always get queue-generated ids, so one trigger's senders can never block another
/// trigger's ids. A sender's own id is kept in the `senderId` attribute and deduplicates instead: an
/// event whose id was stored for the trigger within the window, even if it was already delivered and
/// acknowledged, is not stored again and gets its first id back. A request `Idempotency-Key` covers the
/// whole request: a repeat within the window stores nothing and returns the first call's ids.
public enum EventAdmission {
    public struct Incoming: Sendable {
        public var senderID: String?
        public var event: NewEvent

        public init(senderID: String?, event: NewEvent) {
            self.senderID = senderID
            self.event = event
        }
    }

    /// Stores `incoming` on `queue` and returns the ids in the order given. `duplicate` is true when
    /// nothing new was stored.
    public static func store(
        _ incoming: [Incoming], requestKey: String?, window: Duration, queue: any EventQueue
    ) async throws -> EnqueueResult {
        let events = incoming.map { item -> NewEvent in
            var event = item.event
            event.id = nil
            if let senderID = item.senderID {
                event.attributes["senderId"] = senderID
                event.deduplicationKey = "id:" + senderID
            }
            return event
        }
        return try await queue.enqueue(events, idempotencyKey: requestKey, window: window)
    }
}
