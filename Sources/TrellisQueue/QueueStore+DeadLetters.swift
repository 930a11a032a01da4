import TrellisCore

extension QueueStore {
    func deadLetter(_ id: String, error: String) throws {
        try recordAttempt(id, error: error, operation: "deadLetter")
        try connection.run(
            """
            INSERT INTO dead_letters (id, seq, trigger, source, time, attributes, data, attempt, last_error, dead_lettered_at)
            SELECT id, seq, trigger, source, time, attributes, data, attempt, ?, ? FROM events WHERE id = ?
            """, [.text(error), .real(now), .text(id)])
        try connection.run("DELETE FROM events WHERE id = ?", [.text(id)])
    }

    func deadLetters(trigger: String, limit: Int) throws -> [DeadLetter] {
        try readDeadLetters(
            "WHERE trigger = ? ORDER BY dead_lettered_at DESC, seq DESC LIMIT ?", [.text(trigger), .integer(Int64(limit))])
    }

    func deadLetter(id: String) throws -> DeadLetter? {
        try readDeadLetters("WHERE id = ?", [.text(id)]).first
    }

    /// Moves dead letters back with attempt 0, due now, keeping their enqueue order and history.
    func redrive(trigger: String, ids: [String]?) throws -> Int {
        let move = """
            INSERT INTO events (seq, id, trigger, source, time, attributes, data, size, attempt, available_at)
            SELECT seq, id, trigger, source, time, attributes, data, length(data), 0, ? FROM dead_letters
            """
        guard let ids else {
            let moved = try connection.run(move + " WHERE trigger = ?", [.real(now), .text(trigger)])
            try connection.run("DELETE FROM dead_letters WHERE trigger = ?", [.text(trigger)])
            return moved
        }
        var moved = 0
        for id in ids {
            let count = try connection.run(move + " WHERE trigger = ? AND id = ?", [.real(now), .text(trigger), .text(id)])
            if count > 0 {
                try connection.run("DELETE FROM dead_letters WHERE id = ?", [.text(id)])
            }
            moved += count
        }
        return moved
    }

    private func readDeadLetters(_ clause: String, _ values: [SQLiteValue]) throws -> [DeadLetter] {
        let rows = try connection.statement(
            "SELECT id, trigger, source, time, attributes, data, attempt, last_error, dead_lettered_at FROM dead_letters "
                + clause)
        try rows.bind(values)
        var letters: [DeadLetter] = []
        while try rows.step() {
            let event = Event(
                id: rows.text(0), trigger: rows.text(1), source: rows.text(2), time: rows.real(3),
                attributes: try decodeAttributes(rows.text(4)), data: rows.blob(5), attempt: Int(rows.integer(6)))
            letters.append(
                DeadLetter(event: event, lastError: rows.text(7), attempts: [], deadLetteredAt: rows.real(8)))
        }
        rows.reset()
        for index in letters.indices {
            letters[index].attempts = try attempts(of: letters[index].event.id)
        }
        return letters
    }

    /// Reads the attempt history of `id`, oldest first.
    func attempts(of id: String) throws -> [AttemptRecord] {
        let rows = try connection.statement(
            "SELECT attempt, time, error FROM attempts WHERE event_id = ? ORDER BY time, rowid")
        try rows.bind([.text(id)])
        var records: [AttemptRecord] = []
        while try rows.step() {
            records.append(AttemptRecord(attempt: Int(rows.integer(0)), time: rows.real(1), error: rows.text(2)))
        }
        return records
    }
}
