import CSQLite

/// The error every `SQLiteEventQueue` method throws: a code to branch on, the operation and database
/// path it concerns, and the SQLite result code when SQLite reported it.
public struct QueueError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable {
        /// The database file or its folder cannot be created or opened (permissions, missing mount).
        case cannotOpen
        /// The file is not an SQLite database, or SQLite found a damaged page.
        case corrupt
        /// The disk or the file system quota is full; nothing of the failed operation was stored.
        case diskFull
        /// Another process held a lock for longer than the busy timeout.
        case busy
        /// A read or write of the file failed (`SQLITE_IOERR`).
        case ioError
        /// The file was written by a newer Trellis whose schema this version does not know.
        case schemaTooNew
        /// An argument is out of range, such as `maxItems` below 1.
        case invalidArgument
        /// An event id given by the caller already belongs to an event of another trigger.
        case idConflict
        /// `retry` or `deadLetter` named an event the queue does not hold.
        case notFound
        /// The queue was closed before the call.
        case closed
        /// Any other SQLite failure, identified by `sqliteCode`.
        case sqlite
    }

    public var code: Code
    /// The public method or step that failed, such as `enqueue` or `open`.
    public var operation: String
    /// The database file.
    public var path: String
    /// A description of the failure, including SQLite's own message when there is one.
    public var message: String
    /// The SQLite extended result code, nil when the error did not come from SQLite.
    public var sqliteCode: Int32?

    public init(_ code: Code, operation: String, path: String, message: String, sqliteCode: Int32? = nil) {
        self.code = code
        self.operation = operation
        self.path = path
        self.message = message
        self.sqliteCode = sqliteCode
    }

    /// Builds the error for SQLite result `result`, choosing the code from its primary result code.
    init(sqliteResult result: Int32, operation: String, path: String, message: String) {
        let code: Code
        switch result & 0xff {
        case SQLITE_CANTOPEN, SQLITE_PERM, SQLITE_READONLY, SQLITE_AUTH: code = .cannotOpen
        case SQLITE_CORRUPT, SQLITE_NOTADB: code = .corrupt
        case SQLITE_FULL: code = .diskFull
        case SQLITE_BUSY, SQLITE_LOCKED: code = .busy
        case SQLITE_IOERR: code = .ioError
        default: code = .sqlite
        }
        self.init(code, operation: operation, path: path, message: message, sqliteCode: result)
    }

    public var description: String {
        let suffix = sqliteCode.map { " (SQLite result \($0))" } ?? ""
        return "queue \(operation) failed on \(path): \(message)\(suffix)"
    }
}
