import TrellisCore

/// The SQL of each queue operation, run by the writer thread inside a job's savepoint.
///
/// `SQLiteEventQueue` documents the behaviour; this type only carries it out. `now` is the clock
/// reading, in Unix seconds, taken when the job starts.
struct QueueStore {
    let connection: SQLiteConnection
    let now: Double

    /// How many expired idempotency keys one `enqueue` deletes at most, so purging stays cheap per call.
    static let idempotencyPurgeBatch = 100

    // MARK: Enqueue

    /// Prefix of per-event deduplication keys in `idempotency_keys`, so they never meet call keys.
    static let eventKeyPrefix = "event:"

    func enqueue(_ events: [NewEvent], idempotencyKey: String?, windowSeconds: Double) throws -> EnqueueResult {
        if let idempotencyKey, let trigger = events.first?.trigger {
            try connection.run(
                """
                DELETE FROM idempotency_keys WHERE (trigger, key) IN
                    (SELECT trigger, key FROM idempotency_keys WHERE expires_at <= ? LIMIT \(Self.idempotencyPurgeBatch))
                """, [.real(now)])
            let stored = try connection.scalar(
                "SELECT ids FROM idempotency_keys WHERE trigger = ? AND key = ? AND expires_at > ?",
                [.text(trigger), .text(idempotencyKey), .real(now)])
            if let text = stored?.text {
                return EnqueueResult(ids: try decodeIDs(text), duplicate: true)
            }
        }

        var ids: [String] = []
        var storedAny = false
        for event in events {
            if let key = event.deduplicationKey {
                let stored = try connection.scalar(
                    "SELECT ids FROM idempotency_keys WHERE trigger = ? AND key = ? AND expires_at > ?",
                    [.text(event.trigger), .text(Self.eventKeyPrefix + key), .real(now)])
                if let text = stored?.text, let first = try decodeIDs(text).first {
                    ids.append(first)
                    continue
                }
            }
            let id = event.id ?? Self.randomID()
            let owner = try connection.scalar(
                "SELECT trigger FROM events WHERE id = ?1 UNION ALL SELECT trigger FROM dead_letters WHERE id = ?1",
                [.text(id)])
            if let owner = owner?.text {
                guard owner == event.trigger else {
                    throw QueueError(
                        .idConflict, operation: "enqueue", path: connection.path,
                        message: "event id \(id) of trigger \(event.trigger) already belongs to trigger \(owner)")
                }
                ids.append(id)
                continue
            }
            try connection.run(
                """
                INSERT INTO events (id, trigger, source, time, attributes, data, size, attempt, available_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?)
                """,
                [
                    .text(id), .text(event.trigger), .text(event.source), .real(now),
                    .text(Self.encodeAttributes(event.attributes)), .blob(event.data),
                    .integer(Int64(event.data.count)), .real(event.availableAt ?? now),
                ])
            ids.append(id)
            storedAny = true
            if let key = event.deduplicationKey {
                try connection.run(
                    "INSERT OR REPLACE INTO idempotency_keys (trigger, key, ids, expires_at) VALUES (?, ?, ?, ?)",
                    [.text(event.trigger), .text(Self.eventKeyPrefix + key), .text(JSON.array([.string(id)]).serialized()),
                     .real(now + windowSeconds)])
            }
        }

        if let idempotencyKey, let trigger = events.first?.trigger {
            let idsJSON = JSON.array(ids.map { .string($0) }).serialized()
            try connection.run(
                "INSERT OR REPLACE INTO idempotency_keys (trigger, key, ids, expires_at) VALUES (?, ?, ?, ?)",
                [.text(trigger), .text(idempotencyKey), .text(idsJSON), .real(now + windowSeconds)])
        }
        return EnqueueResult(ids: ids, duplicate: !events.isEmpty && !storedAny)
    }

    // MARK: Delivery

    func lease(trigger: String, maxItems: Int, maxBytes: Int, visibilitySeconds: Double) throws -> [Event] {
        let due = try connection.statement(
            "SELECT seq, size FROM events WHERE trigger = ? AND available_at <= ? ORDER BY available_at, seq LIMIT ?")
        try due.bind([.text(trigger), .real(now), .integer(Int64(maxItems))])
        var chosen: [Int64] = []
        var bytes = 0
        while try due.step() {
            let size = Int(due.integer(1))
            if !chosen.isEmpty && bytes + size > maxBytes { break }
            chosen.append(due.integer(0))
            bytes += size
        }
        due.reset()

        let leaseEnd = now + visibilitySeconds
        let update = try connection.statement(
            """
            UPDATE events SET attempt = attempt + 1, available_at = ?1, lease_until = ?1 WHERE seq = ?2
            RETURNING id, source, time, attributes, data, attempt
            """)
        var events: [Event] = []
        for seq in chosen {
            update.reset()
            try update.bind([.real(leaseEnd), .integer(seq)])
            guard try update.step() else { continue }
            events.append(
                Event(
                    id: update.text(0), trigger: trigger, source: update.text(1), time: update.real(2),
                    attributes: try decodeAttributes(update.text(3)), data: update.blob(4),
                    attempt: Int(update.integer(5))))
            while try update.step() {}
        }
        return events
    }

    func ack(_ ids: [String]) throws {
        for id in ids {
            let removed = try connection.run("DELETE FROM events WHERE id = ?", [.text(id)])
            if removed > 0 {
                try connection.run("DELETE FROM attempts WHERE event_id = ?", [.text(id)])
            }
        }
    }

    func retry(_ id: String, delaySeconds: Double, error: String) throws {
        try recordAttempt(id, error: error, operation: "retry")
        try connection.run(
            "UPDATE events SET lease_until = NULL, available_at = ? WHERE id = ?", [.real(now + delaySeconds), .text(id)])
    }

    /// Adds the event's current attempt with `error` to its history; throws `notFound` when the queue
    /// holds no waiting or leased event `id`.
    func recordAttempt(_ id: String, error: String, operation: String) throws {
        let changed = try connection.run(
            "INSERT INTO attempts (event_id, attempt, time, error) SELECT id, attempt, ?, ? FROM events WHERE id = ?",
            [.real(now), .text(error), .text(id)])
        guard changed > 0 else {
            throw QueueError(
                .notFound, operation: operation, path: connection.path,
                message: "no waiting or leased event has id \(id); it may have been acked or dead-lettered already")
        }
    }

    // MARK: Encoding

    /// 32 lower-case hex digits from 128 random bits.
    static func randomID() -> String {
        var generator = SystemRandomNumberGenerator()
        let high = String(generator.next() as UInt64, radix: 16)
        let low = String(generator.next() as UInt64, radix: 16)
        return String(repeating: "0", count: 16 - high.count) + high + String(repeating: "0", count: 16 - low.count) + low
    }

    static func encodeAttributes(_ attributes: [String: String]) -> String {
        let members = attributes.sorted { $0.key < $1.key }.map { (key: $0.key, value: JSON.string($0.value)) }
        return JSON.object(members).serialized()
    }

    func decodeAttributes(_ text: String) throws -> [String: String] {
        var attributes: [String: String] = [:]
        for member in try parse(text, column: "attributes").objectValue ?? [] {
            attributes[member.key] = member.value.stringValue ?? ""
        }
        return attributes
    }

    func decodeIDs(_ text: String) throws -> [String] {
        (try parse(text, column: "ids").arrayValue ?? []).compactMap(\.stringValue)
    }

    private func parse(_ text: String, column: String) throws -> JSON {
        do {
            return try JSON.parse(text)
        } catch {
            throw QueueError(
                .corrupt, operation: connection.operation, path: connection.path,
                message: "the stored \(column) column is not valid JSON: \(error)")
        }
    }
}
