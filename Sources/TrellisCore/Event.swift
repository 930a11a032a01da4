/// One event from a trigger: a file record, a schedule tick, a webhook delivery, a queued call.
public struct Event: Sendable, Equatable {
    /// Unique within the queue: 32 lower-case hex digits, or the id the sender gave the event.
    public var id: String
    /// The trigger that produced the event, such as `uploads`.
    public var trigger: String
    /// Where the event came from: a file path and record number, a schedule time, a webhook delivery id.
    public var source: String
    /// When the event was accepted, in seconds since the Unix epoch.
    public var time: Double
    /// Extra string attributes, such as `contentType` or `scheduledTime`.
    public var attributes: [String: String]
    /// The payload, usually JSON.
    public var data: [UInt8]
    /// The delivery attempt this invocation is: 1 on the first delivery.
    public var attempt: Int

    public init(
        id: String, trigger: String, source: String, time: Double, attributes: [String: String] = [:], data: [UInt8],
        attempt: Int = 1
    ) {
        self.id = id
        self.trigger = trigger
        self.source = source
        self.time = time
        self.attributes = attributes
        self.data = data
        self.attempt = attempt
    }

    /// The payload as UTF-8 text; invalid sequences become U+FFFD.
    public var dataText: String { String(decoding: data, as: UTF8.self) }
}

/// The events of one batch invocation.
public struct Batch: Sendable {
    public var trigger: String
    public var events: [Event]
    /// The trigger's maximum delivery attempts: a failed event whose `attempt` equals it is
    /// dead-lettered instead of retried.
    public var maxAttempts: Int

    public init(trigger: String, events: [Event], maxAttempts: Int) {
        self.trigger = trigger
        self.events = events
        self.maxAttempts = maxAttempts
    }
}

/// What a batch handler reports: the events that failed. Events not listed succeeded. A thrown error
/// fails every event of the batch instead.
public struct BatchResult: Sendable, Equatable {
    public struct Failure: Sendable, Equatable {
        public var eventID: String
        public var reason: String
        /// The handler's wish for the earliest retry; nil follows the trigger's backoff.
        public var retryAfter: Duration?
        /// True when retrying cannot help (the data is invalid): the event is dead-lettered at once.
        public var permanent: Bool

        public init(eventID: String, reason: String, retryAfter: Duration? = nil, permanent: Bool = false) {
            self.eventID = eventID
            self.reason = reason
            self.retryAfter = retryAfter
            self.permanent = permanent
        }
    }

    public var failures: [Failure]

    public init(failures: [Failure] = []) { self.failures = failures }

    public static let success = BatchResult()

    /// Merges the failures of two parts of one batch.
    public func merged(with other: BatchResult) -> BatchResult {
        BatchResult(failures: failures + other.failures)
    }
}

/// The innermost batch handler of a batch function, or the rest of a batch chain.
public typealias BatchHandler = @Sendable (Batch, Context) async throws -> BatchResult

/// A decorator that also wraps batch invocations. Chains follow the same onion rule as `Decorator`:
/// first listed is outermost. A batch function's chain may hold only decorators of this kind; any
/// other stops startup naming it.
public protocol BatchDecorator: Decorator {
    func handleBatch(_ batch: Batch, context: Context, next: BatchHandler) async throws -> BatchResult
}

public enum BatchDecoratorChain {
    /// Composes `decorators` around `handler`, first element outermost. Call it once at startup.
    public static func compose(_ decorators: [any BatchDecorator], around handler: @escaping BatchHandler) -> BatchHandler {
        decorators.reversed().reduce(handler) { next, decorator in
            { batch, context in try await decorator.handleBatch(batch, context: context, next: next) }
        }
    }
}

/// An event whose data decoded as `Item`, as a Codable batch handler gets it.
public struct TypedEvent<Item: Sendable>: Sendable {
    public var event: Event
    public var item: Item

    public init(event: Event, item: Item) {
        self.event = event
        self.item = item
    }
}
