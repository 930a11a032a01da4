import TrellisCore

/// An event to enqueue: everything but the attempt counter, which the queue keeps.
public struct NewEvent: Sendable, Equatable {
    /// nil lets the queue generate 32 hex digits.
    public var id: String?
    public var trigger: String
    public var source: String
    public var attributes: [String: String]
    public var data: [UInt8]
    /// The earliest delivery time in Unix seconds; nil means now.
    public var availableAt: Double?
    /// A key of this event alone, such as the sender's own event id: when the same key was stored for
    /// the trigger within the call's window, the event is not stored again and its first id is
    /// returned, even if that event was already delivered and acknowledged.
    public var deduplicationKey: String?

    public init(
        id: String? = nil, trigger: String, source: String, attributes: [String: String] = [:], data: [UInt8],
        availableAt: Double? = nil, deduplicationKey: String? = nil
    ) {
        self.id = id
        self.trigger = trigger
        self.source = source
        self.attributes = attributes
        self.data = data
        self.availableAt = availableAt
        self.deduplicationKey = deduplicationKey
    }
}

/// The outcome of one `enqueue` call.
public struct EnqueueResult: Sendable, Equatable {
    /// The ids of the events, in the order given. For a duplicate, the id stored first.
    public var ids: [String]
    /// True when the idempotency key was seen within its window: nothing new was stored and `ids` are
    /// those of the first call.
    public var duplicate: Bool

    public init(ids: [String], duplicate: Bool) {
        self.ids = ids
        self.duplicate = duplicate
    }
}

/// One delivery attempt of a dead-lettered or retried event.
public struct AttemptRecord: Sendable, Equatable {
    public var attempt: Int
    /// Unix seconds when the attempt ended.
    public var time: Double
    public var error: String

    public init(attempt: Int, time: Double, error: String) {
        self.attempt = attempt
        self.time = time
        self.error = error
    }
}

/// An event set aside after its last attempt.
public struct DeadLetter: Sendable, Equatable {
    public var event: Event
    public var lastError: String
    public var attempts: [AttemptRecord]
    /// Unix seconds when it was dead-lettered.
    public var deadLetteredAt: Double

    public init(event: Event, lastError: String, attempts: [AttemptRecord], deadLetteredAt: Double) {
        self.event = event
        self.lastError = lastError
        self.attempts = attempts
        self.deadLetteredAt = deadLetteredAt
    }
}

public struct QueueStats: Sendable, Equatable {
    /// Events waiting or leased, not dead-lettered.
    public var depth: Int
    /// Events leased now.
    public var leased: Int
    /// Age in seconds of the oldest waiting or leased event, 0 when empty.
    public var oldestAgeSeconds: Double
    public var deadLettered: Int

    public init(depth: Int, leased: Int, oldestAgeSeconds: Double, deadLettered: Int) {
        self.depth = depth
        self.leased = leased
        self.oldestAgeSeconds = oldestAgeSeconds
        self.deadLettered = deadLettered
    }
}

/// A durable, at-least-once event queue with leases, retries and a dead-letter store.
///
/// Delivery: `lease` hands out due events and hides them for the visibility timeout. The caller then
/// `ack`s, `retry`s or `deadLetter`s each one. An event whose lease expires (the worker crashed or hung)
/// is delivered again with its attempt counter increased, so a crash loses nothing and duplicates
/// happen only for batches in flight at the crash.
///
/// Every method may block on disk I/O; implementations run it off the caller's thread, so calling from
/// an event loop never stalls it. Keep this interface small: a Redis Streams backend implements the same.
public protocol EventQueue: Sendable {
    /// Stores `events` durably (on disk, fsynced) before returning. With an `idempotencyKey` seen for
    /// the same trigger within `window`, stores nothing and returns the first call's ids.
    func enqueue(_ events: [NewEvent], idempotencyKey: String?, window: Duration) async throws -> EnqueueResult

    /// Leases up to `maxItems` due events of `trigger` whose data add up to at most `maxBytes` (at least
    /// one event is returned when any is due, whatever its size), oldest first, and hides them for
    /// `visibility`. Each returned event's `attempt` is its delivery number, starting at 1.
    func lease(trigger: String, maxItems: Int, maxBytes: Int, visibility: Duration) async throws -> [Event]

    /// Removes delivered events.
    func ack(_ ids: [String]) async throws

    /// Ends the lease of `id` and makes it due again after `delay`, recording `error` in its history.
    func retry(_ id: String, after delay: Duration, error: String) async throws

    /// Moves `id` to the dead-letter store with `error` as its last error.
    func deadLetter(_ id: String, error: String) async throws

    /// Dead letters of `trigger`, newest first.
    func deadLetters(trigger: String, limit: Int) async throws -> [DeadLetter]

    func deadLetter(id: String) async throws -> DeadLetter?

    /// Moves dead letters of `trigger` (all, or those in `ids`) back to the queue with a fresh attempt
    /// counter. Returns how many moved.
    func redrive(trigger: String, ids: [String]?) async throws -> Int

    /// Unix seconds of the next time an event of `trigger` becomes due, or nil when none waits.
    func nextDueTime(trigger: String) async throws -> Double?

    func stats(trigger: String) async throws -> QueueStats

    // Small key-value state for triggers, stored in the same database so it shares its durability.

    /// The value of `key` in `namespace` (for example the file trigger's processed-file ledger, or a
    /// schedule's last fire time).
    func state(_ namespace: String, _ key: String) async throws -> String?

    func setState(_ namespace: String, _ key: String, _ value: String?) async throws
}
