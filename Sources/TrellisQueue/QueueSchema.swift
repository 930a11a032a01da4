import Glibc
/// The database settings and the versioned schema of `SQLiteEventQueue`.
///
/// `PRAGMA user_version` stores how many entries of `migrations` the file has received. Opening a file
/// applies the missing ones in one transaction; a file with a higher version than `migrations` contains is
/// rejected with `QueueError.Code.schemaTooNew`, so an older binary never writes a newer layout.
enum QueueSchema {
    /// How long a statement waits for another connection's lock before failing with `busy`: 5000 ms.
    /// Only other processes (a CLI inspecting dead letters) take such locks; this process has one connection.
    static let busyTimeoutMilliseconds = 5000

    /// Settings applied on every open.
    ///
    /// - WAL: a commit appends to the write-ahead log and fsyncs only that, and readers in other
    ///   processes do not block the writer.
    /// - `synchronous=FULL`: in WAL mode, `NORMAL` skips the fsync at commit and may lose the last
    ///   transactions on power loss. `FULL` fsyncs the log at every commit, so an event is on disk
    ///   before `enqueue` returns. Group commit pays that cost once for many calls.
    /// - `foreign_keys=ON`: `attempts` rows refer to no other table today, but later migrations may add
    ///   references that should be checked.
    ///
    /// `busy_timeout` comes first: switching a new file to WAL takes an exclusive lock, and another
    /// process opening the same new file at the same moment (a second server, `trellis events send`)
    /// must wait for it rather than fail with "database is locked".
    static let connectionSettings = """
        PRAGMA busy_timeout = \(busyTimeoutMilliseconds);
        PRAGMA journal_mode = WAL;
        PRAGMA synchronous = FULL;
        PRAGMA foreign_keys = ON;
        """

    /// Migration `n` takes the file from version `n` to `n + 1`. Append new entries; never edit one
    /// that has shipped.
    static let migrations: [String] = [
        """
        CREATE TABLE events (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,  -- enqueue order
            id TEXT NOT NULL UNIQUE,
            trigger TEXT NOT NULL,
            source TEXT NOT NULL,
            time REAL NOT NULL,                     -- Unix seconds when accepted
            attributes TEXT NOT NULL,               -- JSON object of strings
            data BLOB NOT NULL,
            size INTEGER NOT NULL,                  -- bytes of data, read by lease before the blob
            attempt INTEGER NOT NULL DEFAULT 0,     -- deliveries so far
            available_at REAL NOT NULL,             -- Unix seconds when next due; the lease end while leased
            lease_until REAL                        -- Unix seconds; NULL when never leased or released
        );
        CREATE INDEX events_due ON events (trigger, available_at, seq);
        CREATE INDEX events_age ON events (trigger, time);
        CREATE INDEX events_leased ON events (trigger, lease_until) WHERE lease_until IS NOT NULL;

        CREATE TABLE attempts (
            event_id TEXT NOT NULL,
            attempt INTEGER NOT NULL,
            time REAL NOT NULL,
            error TEXT NOT NULL
        );
        CREATE INDEX attempts_event ON attempts (event_id, time);

        CREATE TABLE dead_letters (
            id TEXT PRIMARY KEY,
            seq INTEGER NOT NULL,                   -- the event's enqueue order, kept for redrive
            trigger TEXT NOT NULL,
            source TEXT NOT NULL,
            time REAL NOT NULL,
            attributes TEXT NOT NULL,
            data BLOB NOT NULL,
            attempt INTEGER NOT NULL,
            last_error TEXT NOT NULL,
            dead_lettered_at REAL NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX dead_letters_trigger ON dead_letters (trigger, dead_lettered_at);

        CREATE TABLE idempotency_keys (
            trigger TEXT NOT NULL,
            key TEXT NOT NULL,
            ids TEXT NOT NULL,                      -- JSON array of the first call's event ids
            expires_at REAL NOT NULL,
            PRIMARY KEY (trigger, key)
        ) WITHOUT ROWID;
        CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);

        CREATE TABLE state (
            namespace TEXT NOT NULL,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (namespace, key)
        ) WITHOUT ROWID;
        """
    ]

    /// The number of tries of `prepareRetryingWhenBusy`, and the pause between them: 100 tries, 100 ms apart.
    static let busyRetries = 100
    static let busyRetryPause: UInt32 = 100_000

    /// Runs `prepare`, trying again while another connection holds a lock it needs. SQLite returns
    /// `SQLITE_BUSY` at once, without waiting for `busy_timeout`, when waiting could deadlock, which
    /// happens when several processes open a new file together and all switch it to WAL.
    static func prepareRetryingWhenBusy(_ connection: SQLiteConnection) throws {
        for attempt in 1... {
            do {
                return try prepare(connection)
            } catch let error as QueueError where error.code == .busy && attempt < busyRetries {
                usleep(busyRetryPause)
            }
        }
    }

    /// Applies the settings and any missing migrations to `connection`.
    static func prepare(_ connection: SQLiteConnection) throws {
        connection.operation = "open"
        try connection.execute(connectionSettings)
        let mode = try connection.scalar("PRAGMA journal_mode")?.text
        guard mode == "wal" else {
            throw QueueError(
                .cannotOpen, operation: "open", path: connection.path,
                message: "the file system does not support WAL mode (journal_mode is \(mode ?? "unknown"))")
        }

        try connection.execute("BEGIN IMMEDIATE")
        do {
            let version = Int(try connection.scalar("PRAGMA user_version")?.integer ?? 0)
            guard version <= migrations.count else {
                throw QueueError(
                    .schemaTooNew, operation: "open", path: connection.path,
                    message: "schema version \(version) is newer than the \(migrations.count) this build knows; "
                        + "run a newer trellis or restore a backup")
            }
            for index in version..<migrations.count {
                try connection.execute(migrations[index])
            }
            try connection.execute("PRAGMA user_version = \(migrations.count)")
            try connection.execute("COMMIT")
        } catch {
            if !connection.isAutocommit { try? connection.execute("ROLLBACK") }
            throw error
        }
    }
}
