import Foundation
import Testing
import TrellisCore

@testable import TrellisQueue

/// Enqueue throughput, printed for the record. It asserts only that every event was stored, never a
/// speed, and runs only when `TRELLIS_QUEUE_BENCH` is set:
/// `TRELLIS_QUEUE_BENCH=1 swift test --skip-build --filter SQLiteEventQueueThroughputTests`
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["TRELLIS_QUEUE_BENCH"] != nil))
struct SQLiteEventQueueThroughputTests {
    @Test(arguments: [
        (callers: 16, calls: 250, eventsPerCall: 1),
        (callers: 1, calls: 100, eventsPerCall: 100),
        (callers: 16, calls: 10, eventsPerCall: 100),
    ])
    func enqueueThroughput(callers: Int, calls: Int, eventsPerCall: Int) async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let queue = try SQLiteEventQueue(path: folder.path("queue.db"))
        defer { queue.close() }
        let batch = Array(repeating: NewEvent(trigger: "bench", source: "bench", data: Array(repeating: 0x7b, count: 200)), count: eventsPerCall)
        let transactionsBefore = queue.committedTransactions

        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<callers {
                group.addTask {
                    for _ in 0..<calls { _ = try await queue.enqueue(batch, idempotencyKey: nil, window: .zero) }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = (ContinuousClock.now - started).seconds

        let total = callers * calls * eventsPerCall
        let transactions = queue.committedTransactions - transactionsBefore
        print(
            "enqueue \(callers) callers x \(calls) calls x \(eventsPerCall) events of 200 bytes: \(total) events in "
                + String(format: "%.2f s = %.0f events/s, %d transactions", elapsed, Double(total) / elapsed, transactions))
        #expect(try await queue.stats(trigger: "bench").depth == total)
    }
}
