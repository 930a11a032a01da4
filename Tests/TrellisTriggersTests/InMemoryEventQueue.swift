import Foundation
import Synchronization
import TrellisCore
import TrellisQueue

/// TEST ONLY: an in-memory `EventQueue` for the ingress tests, until the SQLite queue is merged. It
/// keeps the protocol's contract where the ingress depends on it (ids in order, idempotency keys per
/// trigger within a window, dead letters newest first) but stores nothing durably.
///
/// `now` is the queue's clock in Unix seconds, set by the test. `failure` makes every call throw it.
final class InMemoryEventQueue: EventQueue {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private struct Stored {
        var event: Event
        var availableAt: Double
        var leasedUntil: Double?
        var history: [AttemptRecord]
    }

    private struct State {
        var now: Double = 1_700_000_000
        var failure: Failure?
        var nextID = 1
        var events: [Stored] = []
        var deadLetters: [DeadLetter] = []
        /// Keyed by trigger, then idempotency key: the ids and the time first seen.
        var keys: [String: [String: (ids: [String], seenAt: Double)]] = [:]
        var enqueueCalls = 0
        var values: [String: String] = [:]
    }

    private let state = Mutex(State())

    var now: Double {
        get { state.withLock { $0.now } }
        set { state.withLock { $0.now = newValue } }
    }

    var failure: Failure? {
        get { state.withLock { $0.failure } }
        set { state.withLock { $0.failure = newValue } }
    }

    var enqueueCalls: Int { state.withLock { $0.enqueueCalls } }

    /// Every waiting or leased event of `trigger`, oldest first.
    func storedEvents(trigger: String) -> [Event] {
        state.withLock { $0.events.filter { $0.event.trigger == trigger }.map(\.event) }
    }

    /// Puts a dead letter in place directly, as the worker would after the last attempt.
    func addDeadLetter(_ letter: DeadLetter) {
        state.withLock { $0.deadLetters.append(letter) }
    }

    func enqueue(_ events: [NewEvent], idempotencyKey: String?, window: Duration) async throws -> EnqueueResult {
        try state.withLock { state in
            if let failure = state.failure { throw failure }
            state.enqueueCalls += 1
            let trigger = events.first?.trigger ?? ""
            if let idempotencyKey, let seen = state.keys[trigger]?[idempotencyKey], state.now - seen.seenAt <= window.inSeconds {
                return EnqueueResult(ids: seen.ids, duplicate: true)
            }
            var ids: [String] = []
            for event in events {
                let id = event.id ?? String(format: "%032x", state.nextID)
                state.nextID += 1
                ids.append(id)
                if state.events.contains(where: { $0.event.id == id }) { continue }
                let stored = Event(
                    id: id, trigger: event.trigger, source: event.source, time: state.now, attributes: event.attributes,
                    data: event.data, attempt: 0)
                state.events.append(Stored(event: stored, availableAt: event.availableAt ?? state.now, leasedUntil: nil, history: []))
            }
            if let idempotencyKey { state.keys[trigger, default: [:]][idempotencyKey] = (ids, state.now) }
            return EnqueueResult(ids: ids, duplicate: false)
        }
    }

    func lease(trigger: String, maxItems: Int, maxBytes: Int, visibility: Duration) async throws -> [Event] {
        try state.withLock { state in
            if let failure = state.failure { throw failure }
            var leased: [Event] = []
            var bytes = 0
            for index in state.events.indices where leased.count < maxItems {
                let stored = state.events[index]
                guard stored.event.trigger == trigger, stored.availableAt <= state.now,
                    (stored.leasedUntil ?? 0) <= state.now
                else { continue }
                if !leased.isEmpty && bytes + stored.event.data.count > maxBytes { break }
                state.events[index].event.attempt += 1
                state.events[index].leasedUntil = state.now + visibility.inSeconds
                bytes += stored.event.data.count
                leased.append(state.events[index].event)
            }
            return leased
        }
    }

    func ack(_ ids: [String]) async throws {
        state.withLock { state in state.events.removeAll { ids.contains($0.event.id) } }
    }

    func retry(_ id: String, after delay: Duration, error: String) async throws {
        state.withLock { state in
            guard let index = state.events.firstIndex(where: { $0.event.id == id }) else { return }
            state.events[index].history.append(AttemptRecord(attempt: state.events[index].event.attempt, time: state.now, error: error))
            state.events[index].leasedUntil = nil
            state.events[index].availableAt = state.now + delay.inSeconds
        }
    }

    func deadLetter(_ id: String, error: String) async throws {
        state.withLock { state in
            guard let index = state.events.firstIndex(where: { $0.event.id == id }) else { return }
            let stored = state.events.remove(at: index)
            let history = stored.history + [AttemptRecord(attempt: stored.event.attempt, time: state.now, error: error)]
            state.deadLetters.append(DeadLetter(event: stored.event, lastError: error, attempts: history, deadLetteredAt: state.now))
        }
    }

    func deadLetters(trigger: String, limit: Int) async throws -> [DeadLetter] {
        try state.withLock { state in
            if let failure = state.failure { throw failure }
            return Array(state.deadLetters.filter { $0.event.trigger == trigger }.reversed().prefix(limit))
        }
    }

    func deadLetter(id: String) async throws -> DeadLetter? {
        state.withLock { state in state.deadLetters.first { $0.event.id == id } }
    }

    func redrive(trigger: String, ids: [String]?) async throws -> Int {
        state.withLock { state in
            let moving = state.deadLetters.filter { $0.event.trigger == trigger && (ids?.contains($0.event.id) ?? true) }
            state.deadLetters.removeAll { letter in moving.contains { $0.event.id == letter.event.id } }
            for letter in moving {
                var event = letter.event
                event.attempt = 0
                state.events.append(Stored(event: event, availableAt: state.now, leasedUntil: nil, history: []))
            }
            return moving.count
        }
    }

    func nextDueTime(trigger: String) async throws -> Double? {
        state.withLock { state in
            state.events.filter { $0.event.trigger == trigger }.map { max($0.availableAt, $0.leasedUntil ?? 0) }.min()
        }
    }

    func stats(trigger: String) async throws -> QueueStats {
        state.withLock { state in
            let events = state.events.filter { $0.event.trigger == trigger }
            let leased = events.filter { ($0.leasedUntil ?? 0) > state.now }.count
            let oldest = events.map(\.event.time).min().map { state.now - $0 } ?? 0
            let dead = state.deadLetters.filter { $0.event.trigger == trigger }.count
            return QueueStats(depth: events.count, leased: leased, oldestAgeSeconds: oldest, deadLettered: dead)
        }
    }

    func state(_ namespace: String, _ key: String) async throws -> String? {
        state.withLock { $0.values["\(namespace)\u{0}\(key)"] }
    }

    func setState(_ namespace: String, _ key: String, _ value: String?) async throws {
        state.withLock { $0.values["\(namespace)\u{0}\(key)"] = value }
    }
}

extension Duration {
    var inSeconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
