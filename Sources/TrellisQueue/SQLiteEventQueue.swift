import Foundation
import TrellisCore

/// The embedded, durable `EventQueue`: one SQLite database file in WAL mode, written by one thread.
///
/// **Durability.** Every method that changes the queue returns only after the transaction holding the
/// change has committed with `synchronous=FULL`, so the write-ahead log is fsynced: a process crash or
/// a power loss after the return loses nothing. Calls that arrive while a commit is in progress share
/// the next transaction and its fsync (group commit, see `DatabaseThread`).
///
/// **Threading.** All SQLite work, opening included, runs on one thread this object owns. The async
/// methods suspend their caller until that thread has finished the call. A caller whose task is
/// cancelled still has its call carried out, because the write may already be on disk.
///
/// **Time.** `clock` returns Unix seconds. It is read once per call, on the writer thread, and that
/// reading is the `now` the rules below refer to. Tests pass a fixed clock.
///
/// **Ids.** Event ids are unique in the whole database, across triggers, among the events it still
/// holds (waiting, leased or dead-lettered). Acking an event frees its id.
public final class SQLiteEventQueue: EventQueue {
    /// The file `trellis` uses, relative to the project folder.
    public static let defaultPath = "runtime/data/queue.db"
    /// The maximum length of an event id, in UTF-8 bytes: 200.
    public static let maxIDBytes = 200

    /// The database file.
    public let path: String
    private let clock: @Sendable () -> Double
    private let thread: DatabaseThread

    /// Opens or creates the database at `path`, creating its parent folders, and brings the schema up
    /// to date. Blocks until the file is open, so call it at startup.
    ///
    /// - Parameter clock: the current time in Unix seconds; the wall clock by default.
    /// - Throws: `QueueError` with `cannotOpen` (folder or file not creatable or openable, or no WAL
    ///   support), `corrupt` (not an SQLite database), `schemaTooNew`, or the code of the SQLite failure.
    public init(path: String, clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) throws {
        self.path = path
        self.clock = clock
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw QueueError(
                .cannotOpen, operation: "open", path: path,
                message: "cannot create the folder \(folder.path): \(error.localizedDescription)")
        }
        thread = try DatabaseThread(name: "trellis-queue") {
            let connection = try SQLiteConnection(path: path)
            try QueueSchema.prepareRetryingWhenBusy(connection)
            return connection
        }
    }

    deinit { thread.stop() }

    /// Finishes the calls already made, then closes the database. Blocks until it is closed. Later
    /// calls of any method throw `QueueError` with code `closed`; calling `close` again does nothing.
    public func close() {
        thread.stop()
    }

    /// Transactions committed since opening, read-only ones included; tests compare it with the number
    /// of calls to see group commit at work.
    var committedTransactions: Int { thread.committedTransactions }

    // MARK: EventQueue

    /// Stores `events` in one transaction and returns their ids in the order given.
    ///
    /// - An event with a nil `id` gets 32 random lower-case hex digits.
    /// - An event whose `id` the queue already holds for the same trigger, or that repeats an earlier
    ///   event of the same call, is a duplicate: it is not stored again and its id is returned as is.
    /// - `duplicate` is true when the call stored nothing new: all events were duplicates, or the
    ///   idempotency key matched. An empty `events` stores nothing and returns no ids, `duplicate` false.
    /// - With an `idempotencyKey`, all events must share one trigger. If the same trigger and key were
    ///   stored less than `window` ago (the key expires at first call + `window`, exclusive), nothing is
    ///   stored and the first call's ids return with `duplicate` true. Otherwise the key is recorded with
    ///   this call's ids. Each call with a key also deletes up to 100 expired keys of any trigger.
    ///
    /// - Throws: `invalidArgument` for an empty or over-long id, mixed triggers with a key, or a
    ///   negative window. `idConflict` when a given id belongs to an event of another trigger, and then
    ///   nothing of the call is stored.
    public func enqueue(_ events: [NewEvent], idempotencyKey: String?, window: Duration) async throws -> EnqueueResult {
        for event in events {
            if let id = event.id, id.isEmpty || id.utf8.count > Self.maxIDBytes {
                throw invalid("enqueue", "event id must have 1 to \(Self.maxIDBytes) bytes, got \(id.utf8.count)")
            }
        }
        if idempotencyKey != nil, let first = events.first, events.contains(where: { $0.trigger != first.trigger }) {
            throw invalid("enqueue", "events with an idempotency key must share one trigger, got several")
        }
        let windowSeconds = window.seconds
        guard windowSeconds >= 0 else { throw invalid("enqueue", "window must not be negative, got \(window)") }
        return try await perform("enqueue") { store in
            try store.enqueue(events, idempotencyKey: idempotencyKey, windowSeconds: windowSeconds)
        }
    }

    /// Leases the due events of `trigger`: those with `availableAt` at or before now whose lease, if any,
    /// has ended. Order is by due time, then enqueue order, so fresh events come oldest first. It stops
    /// at `maxItems` events, or before the event that would take the data past `maxBytes`; the first
    /// event is returned whatever its size. Each leased event gets `attempt` + 1 and stays hidden until
    /// now + `visibility`, after which it is due again (redelivery after a worker crash).
    ///
    /// - Throws: `invalidArgument` when `maxItems` < 1, `maxBytes` < 0 or `visibility` is not positive.
    public func lease(trigger: String, maxItems: Int, maxBytes: Int, visibility: Duration) async throws -> [Event] {
        guard maxItems >= 1 else { throw invalid("lease", "maxItems must be at least 1, got \(maxItems)") }
        guard maxBytes >= 0 else { throw invalid("lease", "maxBytes must not be negative, got \(maxBytes)") }
        let visibilitySeconds = visibility.seconds
        guard visibilitySeconds > 0 else { throw invalid("lease", "visibility must be positive, got \(visibility)") }
        return try await perform("lease") { store in
            try store.lease(trigger: trigger, maxItems: maxItems, maxBytes: maxBytes, visibilitySeconds: visibilitySeconds)
        }
    }

    /// Deletes the events and their attempt history. Ids the queue does not hold (acked before, or
    /// dead-lettered) are skipped without error, so acking twice is harmless.
    public func ack(_ ids: [String]) async throws {
        try await perform("ack") { store in try store.ack(ids) }
    }

    /// Records the event's current attempt with `error`, ends its lease and makes it due at now + `delay`.
    ///
    /// - Throws: `notFound` when the queue holds no waiting or leased event `id`; `invalidArgument` for
    ///   a negative delay.
    public func retry(_ id: String, after delay: Duration, error: String) async throws {
        let delaySeconds = delay.seconds
        guard delaySeconds >= 0 else { throw invalid("retry", "delay must not be negative, got \(delay)") }
        try await perform("retry") { store in try store.retry(id, delaySeconds: delaySeconds, error: error) }
    }

    /// Records the event's current attempt with `error` and moves the event, with its history, to the
    /// dead-letter store.
    ///
    /// - Throws: `notFound` when the queue holds no waiting or leased event `id`.
    public func deadLetter(_ id: String, error: String) async throws {
        try await perform("deadLetter") { store in try store.deadLetter(id, error: error) }
    }

    /// Up to `limit` dead letters of `trigger`, most recently dead-lettered first, each with its attempt
    /// history oldest first.
    public func deadLetters(trigger: String, limit: Int) async throws -> [DeadLetter] {
        guard limit >= 1 else { throw invalid("deadLetters", "limit must be at least 1, got \(limit)") }
        return try await perform("deadLetters") { store in try store.deadLetters(trigger: trigger, limit: limit) }
    }

    public func deadLetter(id: String) async throws -> DeadLetter? {
        try await perform("deadLetter") { store in try store.deadLetter(id: id) }
    }

    /// Moves dead letters of `trigger` back to the queue, due now, with `attempt` 0 so the next delivery
    /// is attempt 1. They keep their original time, enqueue order and attempt history. Ids in `ids`
    /// that are not dead letters of `trigger` are skipped. Returns how many moved.
    public func redrive(trigger: String, ids: [String]?) async throws -> Int {
        try await perform("redrive") { store in try store.redrive(trigger: trigger, ids: ids) }
    }

    /// Returns the earliest `availableAt` among the events of `trigger`, nil when it has none. For a
    /// leased event that is the end of its lease, when it becomes due again. It may lie in the past.
    public func nextDueTime(trigger: String) async throws -> Double? {
        try await perform("nextDueTime") { store in try store.nextDueTime(trigger: trigger) }
    }

    /// Counts the events of `trigger`. Depth includes waiting and leased events, and `leased` those
    /// whose lease ends after now. The oldest age runs from the acceptance time of the oldest event.
    public func stats(trigger: String) async throws -> QueueStats {
        try await perform("stats") { store in try store.stats(trigger: trigger) }
    }

    public func state(_ namespace: String, _ key: String) async throws -> String? {
        try await perform("state") { store in try store.state(namespace, key) }
    }

    /// Stores `value` for `key` in `namespace`, replacing any earlier one; nil deletes the key.
    public func setState(_ namespace: String, _ key: String, _ value: String?) async throws {
        try await perform("setState") { store in try store.setState(namespace, key, value) }
    }

    // MARK: Running jobs

    /// Runs `body` on the writer thread inside the next transaction and returns its result once that
    /// transaction has committed.
    private func perform<Result: Sendable>(
        _ operation: String, _ body: @escaping (QueueStore) throws -> Result
    ) async throws -> Result {
        let clock = self.clock
        let path = self.path
        let thread = self.thread
        return try await withCheckedThrowingContinuation { continuation in
            let output = JobOutput<Result>()
            let job = DatabaseJob(
                operation: operation,
                body: { connection in
                    output.value = try body(QueueStore(connection: connection, now: clock()))
                },
                complete: { error in
                    if let error {
                        continuation.resume(throwing: error)
                    } else if let value = output.value {
                        continuation.resume(returning: value)
                    } else {
                        let message = "the writer thread finished the job without running it"
                        continuation.resume(throwing: QueueError(.sqlite, operation: operation, path: path, message: message))
                    }
                })
            if !thread.submit(job) {
                continuation.resume(
                    throwing: QueueError(.closed, operation: operation, path: path, message: "the queue is closed"))
            }
        }
    }

    private func invalid(_ operation: String, _ message: String) -> QueueError {
        QueueError(.invalidArgument, operation: operation, path: path, message: message)
    }
}

/// The result of a job, written and read only on the writer thread.
private final class JobOutput<Value>: @unchecked Sendable {
    var value: Value?
}

extension Duration {
    /// The duration in seconds, with its fraction.
    var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
