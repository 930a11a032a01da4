import CSQLite

/// One SQLite connection with a cache of prepared statements.
///
/// Not thread-safe: the queue's `DatabaseThread` is the only thread that ever touches it, which is
/// why it may be opened with `SQLITE_OPEN_NOMUTEX`.
final class SQLiteConnection {
    let path: String
    /// Owned by this object from `sqlite3_open_v2` until `close()`.
    private var handle: OpaquePointer?
    private var statements: [String: SQLiteStatement] = [:]
    /// The operation name that errors report; the writer thread sets it before running each job.
    var operation = "open"

    init(path: String) throws {
        self.path = path
        var opened: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let result = sqlite3_open_v2(path, &opened, flags, nil)
        guard result == SQLITE_OK, let opened else {
            let message = opened.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(opened)
            throw QueueError(
                sqliteResult: result, operation: "open", path: path, message: "cannot open the database file: \(message)")
        }
        handle = opened
        sqlite3_extended_result_codes(opened, 1)
    }

    deinit { close() }

    /// Finalizes the cached statements and closes the file. Calling it twice does nothing.
    func close() {
        for statement in statements.values { statement.finalize() }
        statements = [:]
        if let handle { sqlite3_close_v2(handle) }
        handle = nil
    }

    /// Runs one or more SQL statements that return no rows.
    func execute(_ sql: String) throws {
        var messagePointer: UnsafeMutablePointer<CChar>?
        let result = sqlite3_exec(handle, sql, nil, nil, &messagePointer)
        guard result == SQLITE_OK else {
            let message = messagePointer.map { String(cString: $0) } ?? errorMessage
            sqlite3_free(messagePointer)
            throw error(result, message)
        }
    }

    /// Prepares `sql` once and returns the cached statement, reset and with its bindings cleared.
    func statement(_ sql: String) throws -> SQLiteStatement {
        if let cached = statements[sql] {
            cached.reset()
            return cached
        }
        var prepared: OpaquePointer?
        let result = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &prepared, nil)
        guard result == SQLITE_OK, let prepared else { throw error(result, errorMessage) }
        let statement = SQLiteStatement(handle: prepared, connection: self)
        statements[sql] = statement
        return statement
    }

    /// Runs `sql` with `values` bound in order and returns the first column of the first row, if any.
    func scalar(_ sql: String, _ values: [SQLiteValue] = []) throws -> SQLiteValue? {
        let statement = try self.statement(sql)
        try statement.bind(values)
        defer { statement.reset() }
        guard try statement.step() else { return nil }
        return statement.value(0)
    }

    /// Runs a statement that returns no rows and returns how many rows it changed.
    @discardableResult
    func run(_ sql: String, _ values: [SQLiteValue] = []) throws -> Int {
        let statement = try self.statement(sql)
        try statement.bind(values)
        while try statement.step() {}
        return Int(sqlite3_changes(handle))
    }

    /// True when no transaction is open, which after a failed statement means SQLite rolled it back.
    var isAutocommit: Bool { sqlite3_get_autocommit(handle) != 0 }

    var errorMessage: String { handle.map { String(cString: sqlite3_errmsg($0)) } ?? "the connection is closed" }

    func error(_ result: Int32, _ message: String) -> QueueError {
        QueueError(sqliteResult: result, operation: operation, path: path, message: message)
    }
}
