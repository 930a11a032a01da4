extension QueueStore {
    func nextDueTime(trigger: String) throws -> Double? {
        try connection.scalar("SELECT MIN(available_at) FROM events WHERE trigger = ?", [.text(trigger)])?.real
    }

    func stats(trigger: String) throws -> QueueStats {
        let depth = try connection.scalar("SELECT COUNT(*) FROM events WHERE trigger = ?", [.text(trigger)])
        let leased = try connection.scalar(
            "SELECT COUNT(*) FROM events WHERE trigger = ? AND lease_until > ?", [.text(trigger), .real(now)])
        let oldest = try connection.scalar("SELECT MIN(time) FROM events WHERE trigger = ?", [.text(trigger)])
        let dead = try connection.scalar("SELECT COUNT(*) FROM dead_letters WHERE trigger = ?", [.text(trigger)])
        return QueueStats(
            depth: Int(depth?.integer ?? 0), leased: Int(leased?.integer ?? 0),
            oldestAgeSeconds: oldest?.real.map { max(0, now - $0) } ?? 0, deadLettered: Int(dead?.integer ?? 0))
    }

    func state(_ namespace: String, _ key: String) throws -> String? {
        try connection.scalar("SELECT value FROM state WHERE namespace = ? AND key = ?", [.text(namespace), .text(key)])?
            .text
    }

    func setState(_ namespace: String, _ key: String, _ value: String?) throws {
        if let value {
            try connection.run(
                "INSERT OR REPLACE INTO state (namespace, key, value) VALUES (?, ?, ?)",
                [.text(namespace), .text(key), .text(value)])
        } else {
            try connection.run("DELETE FROM state WHERE namespace = ? AND key = ?", [.text(namespace), .text(key)])
        }
    }
}
