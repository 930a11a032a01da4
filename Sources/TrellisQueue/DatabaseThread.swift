import Foundation
import Synchronization

/// One unit of work for the `DatabaseThread`: `body` runs inside the shared transaction, and
/// `complete` runs after that transaction committed (nil) or failed (the error).
final class DatabaseJob: @unchecked Sendable {
    // @unchecked: the closures are created on the caller's thread, then called only on the writer
    // thread, once each, after the handoff through `DatabaseThread`'s lock.
    let operation: String
    let body: (SQLiteConnection) throws -> Void
    let complete: (Error?) -> Void

    init(operation: String, body: @escaping (SQLiteConnection) throws -> Void, complete: @escaping (Error?) -> Void) {
        self.operation = operation
        self.body = body
        self.complete = complete
    }
}

/// The thread that owns the queue's SQLite connection and runs every job, with group commit.
///
/// Callers append jobs under a lock and return at once. The thread takes all waiting jobs, up to
/// `maxJobsPerTransaction`, and runs them in one `BEGIN IMMEDIATE … COMMIT` transaction, each inside
/// its own savepoint. While that commit waits for its fsync, new jobs pile up and go into the next
/// transaction, so N concurrent callers cost far fewer than N fsyncs. A job that throws is rolled back
/// to its savepoint and fails alone; the others still commit. No job's caller hears of success before
/// the COMMIT that contains its writes has returned.
///
/// When SQLite rolls back the whole transaction on its own (disk full, I/O error), every job of it
/// fails with that error and the remaining jobs start a new transaction.
final class DatabaseThread: @unchecked Sendable {
    // @unchecked: `pending` and `isStopping` are guarded by `condition`; `connection` is created and
    // used only by the writer thread.

    /// The maximum number of jobs in one transaction, so one commit's latency and WAL growth stay bounded.
    static let maxJobsPerTransaction = 1000

    /// Set by the writer thread before it serves jobs, and used only there.
    private var connection: SQLiteConnection!
    private let condition = NSCondition()
    private var pending: [DatabaseJob] = []
    private var isStopping = false
    private let finished = DispatchSemaphore(value: 0)
    private let committed = Atomic<Int>(0)

    /// Starts the thread, which calls `open` and then serves jobs with the connection it returns.
    /// Blocks until `open` has finished on the new thread and rethrows its error.
    init(name: String, open: @escaping @Sendable () throws -> SQLiteConnection) throws {
        let opened = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var openError: Error?
        let thread = Thread { [self] in
            do {
                connection = try open()
            } catch {
                openError = error
            }
            opened.signal()
            if connection != nil { runLoop() }
        }
        thread.name = name
        thread.start()
        opened.wait()
        if let openError { throw openError }
    }

    /// Transactions committed since the thread started, read-only ones included.
    var committedTransactions: Int { committed.load(ordering: .relaxed) }

    /// Queues `job`. Returns false, without running it, when `stop()` was already called.
    func submit(_ job: DatabaseJob) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !isStopping else { return false }
        pending.append(job)
        condition.signal()
        return true
    }

    /// Runs the jobs already queued, closes the connection and ends the thread, blocking until it has.
    /// Later calls return at once.
    func stop() {
        condition.lock()
        let wasStopping = isStopping
        isStopping = true
        condition.signal()
        condition.unlock()
        if !wasStopping { finished.wait() }
    }

    private func runLoop() {
        while let jobs = nextJobs() {
            runTransaction(jobs)
        }
        connection.close()
        finished.signal()
    }

    /// Blocks until jobs wait, then takes them; nil once stopping and drained.
    private func nextJobs() -> ArraySlice<DatabaseJob>? {
        condition.lock()
        defer { condition.unlock() }
        while pending.isEmpty && !isStopping { condition.wait() }
        guard !pending.isEmpty else { return nil }
        let count = min(pending.count, Self.maxJobsPerTransaction)
        let jobs = pending[..<count]
        pending.removeFirst(count)
        return jobs
    }

    private func runTransaction(_ jobs: ArraySlice<DatabaseJob>) {
        // Jobs run so far in the open transaction, with the error of those that failed alone.
        var ran: [(job: DatabaseJob, error: Error?)] = []
        var isOpen = false

        for job in jobs {
            connection.operation = job.operation
            do {
                if !isOpen {
                    try connection.execute("BEGIN IMMEDIATE")
                    isOpen = true
                }
                try connection.execute("SAVEPOINT job")
            } catch {
                abandon(ran, cause: error)
                ran = []
                isOpen = false
                job.complete(error)
                continue
            }
            do {
                try job.body(connection)
                try connection.execute("RELEASE job")
                ran.append((job, nil))
            } catch {
                if connection.isAutocommit {
                    // SQLite rolled back the whole transaction, so the earlier jobs' writes are gone too.
                    abandon(ran, cause: error)
                    ran = []
                    isOpen = false
                    job.complete(error)
                    continue
                }
                do {
                    try connection.execute("ROLLBACK TO job; RELEASE job")
                    ran.append((job, error))
                } catch let rollbackError {
                    abandon(ran, cause: rollbackError)
                    ran = []
                    isOpen = false
                    job.complete(error)
                }
            }
        }
        guard isOpen else { return }

        do {
            try connection.execute("COMMIT")
            committed.add(1, ordering: .relaxed)
            for entry in ran { entry.job.complete(entry.error) }
        } catch {
            abandon(ran, cause: error)
        }
    }

    /// Rolls back the open transaction, if SQLite has not already, and fails every job of it: those
    /// that had succeeded with `cause`, those that had failed with their own error.
    private func abandon(_ ran: [(job: DatabaseJob, error: Error?)], cause: Error) {
        if !connection.isAutocommit {
            do {
                try connection.execute("ROLLBACK")
            } catch {
                // NOTE: the connection is now in an unknown state; the next BEGIN fails and reports it.
            }
        }
        for entry in ran { entry.job.complete(entry.error ?? cause) }
    }
}
