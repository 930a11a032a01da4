import Foundation
import Synchronization
import Testing
import TrellisCore

@testable import TrellisQueue

/// Checks what survives closing, a simulated crash and concurrent writers, and how opening bad files fails.
@Suite struct SQLiteEventQueueDurabilityTests {
    private func event(_ id: String? = nil, bytes: Int = 16) -> NewEvent {
        NewEvent(id: id, trigger: "uploads", source: "test", data: Array(repeating: 0x62, count: bytes))
    }

    @Test func dataSurvivesReopen() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let clock = ManualClock()
        let path = folder.path("queue.db")

        let first = try SQLiteEventQueue(path: path, clock: clock.reading)
        _ = try await first.enqueue([event("e1"), event("e2")], idempotencyKey: "k", window: .seconds(60))
        try await first.setState("schedule", "nightly", "done")
        first.close()

        let second = try SQLiteEventQueue(path: path, clock: clock.reading)
        defer { second.close() }
        #expect(try await second.enqueue([event("e3")], idempotencyKey: "k", window: .seconds(60)).duplicate)
        #expect(try await second.state("schedule", "nightly") == "done")
        let leased = try await second.lease(trigger: "uploads", maxItems: 10, maxBytes: 1_000, visibility: .seconds(5))
        #expect(leased.map(\.id) == ["e1", "e2"])
    }

    /// Opens one new database file from several threads at once, as two servers or a server and
    /// `trellis events send` may: every open must wait for the others instead of failing as locked.
    @Test func concurrentOpensOfNewFileSucceed() async throws {
        for _ in 0..<5 {
            let folder = try TemporaryFolder()
            defer { folder.remove() }
            let path = folder.path("queue.db")
            let errors: [String] = await withCheckedContinuation { continuation in
                Thread.detachNewThread {
                    let errors = Mutex<[String]>([])
                    let group = DispatchGroup()
                    for _ in 0..<6 {
                        group.enter()
                        Thread.detachNewThread {
                            do {
                                let queue = try SQLiteEventQueue(path: path)
                                queue.close()
                            } catch {
                                errors.withLock { $0.append("\(error)") }
                            }
                            group.leave()
                        }
                    }
                    group.wait()
                    continuation.resume(returning: errors.withLock { $0 })
                }
            }
            #expect(errors.isEmpty, "\(errors)")
        }
    }

    /// Copies the database and its write-ahead log while the first instance is still open, as a
    /// killed process leaves them, and opens the copy: SQLite rebuilds its WAL index from the log.
    @Test func crashKeepsAcknowledgedEvents() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.path("live/queue.db")
        let live = try SQLiteEventQueue(path: path)
        defer { live.close() }

        var sent: [String] = []
        for _ in 0..<20 {
            sent += try await live.enqueue([event(), event(), event()], idempotencyKey: nil, window: .zero).ids
        }
        let walSize = try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int ?? 0
        #expect(walSize > 0, "the events must still sit in the log, not checkpointed, for the test to exercise recovery")

        let copy = folder.path("crashed/queue.db")
        try FileManager.default.createDirectory(atPath: folder.path("crashed"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: path, toPath: copy)
        try FileManager.default.copyItem(atPath: path + "-wal", toPath: copy + "-wal")

        let recovered = try SQLiteEventQueue(path: copy)
        defer { recovered.close() }
        let leased = try await recovered.lease(trigger: "uploads", maxItems: 1_000, maxBytes: 1 << 20, visibility: .seconds(5))
        #expect(leased.map(\.id) == sent)
    }

    /// 20 tasks enqueue 50 single-event calls each. Group commit must put several calls in one
    /// transaction; the count of transactions is checked, not the elapsed time.
    @Test func concurrentEnqueuesGroupCommit() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let queue = try SQLiteEventQueue(path: folder.path("queue.db"))
        defer { queue.close() }
        let before = queue.committedTransactions

        let ids = try await withThrowingTaskGroup(of: [String].self) { group in
            for _ in 0..<20 {
                group.addTask {
                    var ids: [String] = []
                    for _ in 0..<50 {
                        ids += try await queue.enqueue([self.event()], idempotencyKey: nil, window: .zero).ids
                    }
                    return ids
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        let transactions = queue.committedTransactions - before

        #expect(ids.count == 1_000)
        #expect(Set(ids).count == 1_000)
        #expect(transactions < 1_000)
        #expect(try await queue.stats(trigger: "uploads").depth == 1_000)
        let leased = try await queue.lease(trigger: "uploads", maxItems: 2_000, maxBytes: 1 << 20, visibility: .seconds(5))
        #expect(Set(leased.map(\.id)) == Set(ids))
    }

    /// One failing call in a group commit fails alone; the calls committed with it keep their events.
    @Test func failingCallInGroupFailsAlone() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let queue = try SQLiteEventQueue(path: folder.path("queue.db"))
        defer { queue.close() }
        _ = try await queue.enqueue([NewEvent(id: "taken", trigger: "other", source: "test", data: [])], idempotencyKey: nil, window: .zero)

        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for index in 0..<40 {
                group.addTask {
                    let id = index == 20 ? "taken" : "e\(index)"
                    do {
                        _ = try await queue.enqueue([self.event(id)], idempotencyKey: nil, window: .zero)
                        return true
                    } catch {
                        return false
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes.filter { !$0 }.count == 1)
        #expect(try await queue.stats(trigger: "uploads").depth == 39)
    }

    @Test func notADatabaseThrowsCorrupt() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.path("queue.db")
        try Data(repeating: 0x5a, count: 4_096).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: QueueError.self) { try SQLiteEventQueue(path: path) }
        #expect(error?.code == .corrupt)
        #expect(error?.description.contains(path) == true)
    }

    @Test func folderUnderFileThrowsCannotOpen() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try Data("plain file".utf8).write(to: URL(fileURLWithPath: folder.path("file")))
        let error = #expect(throws: QueueError.self) { try SQLiteEventQueue(path: folder.path("file/queue.db")) }
        #expect(error?.code == .cannotOpen)
    }

    @Test func newerSchemaThrowsSchemaTooNew() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = folder.path("queue.db")
        try SQLiteEventQueue(path: path).close()
        let connection = try SQLiteConnection(path: path)
        try connection.execute("PRAGMA user_version = \(QueueSchema.migrations.count + 1)")
        connection.close()

        let error = #expect(throws: QueueError.self) { try SQLiteEventQueue(path: path) }
        #expect(error?.code == .schemaTooNew)
    }

    @Test func durabilitySettingsApplied() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let connection = try SQLiteConnection(path: folder.path("queue.db"))
        defer { connection.close() }
        try QueueSchema.prepare(connection)
        #expect(try connection.scalar("PRAGMA journal_mode")?.text == "wal")
        // 2 is FULL.
        #expect(try connection.scalar("PRAGMA synchronous")?.integer == 2)
        #expect(try connection.scalar("PRAGMA busy_timeout")?.integer == Int64(QueueSchema.busyTimeoutMilliseconds))
        #expect(try connection.scalar("PRAGMA user_version")?.integer == Int64(QueueSchema.migrations.count))
    }
}
