import Foundation
import Testing
import TrellisCore

@testable import TrellisQueue

/// Behaviour of one queue at fixed instants: delivery, retries, dead letters, keys, stats and state.
@Suite struct SQLiteEventQueueTests {
    let folder: TemporaryFolder
    let clock = ManualClock()
    let queue: SQLiteEventQueue

    init() throws {
        folder = try TemporaryFolder()
        queue = try SQLiteEventQueue(path: folder.path("nested/data/queue.db"), clock: clock.reading)
    }

    private func event(_ id: String? = nil, trigger: String = "uploads", bytes: Int = 4) -> NewEvent {
        NewEvent(id: id, trigger: trigger, source: "test", data: Array(repeating: 0x61, count: bytes))
    }

    private func finish() {
        queue.close()
        folder.remove()
    }

    @Test func enqueueLeaseAckRoundTrip() async throws {
        defer { finish() }
        let sent = NewEvent(
            trigger: "uploads", source: "file:a.csv#1", attributes: ["contentType": "text/csv"], data: Array("x,y".utf8))
        let result = try await queue.enqueue([sent, event()], idempotencyKey: nil, window: .zero)
        #expect(result.ids.count == 2)
        #expect(!result.duplicate)
        #expect(result.ids[0].count == 32)
        #expect(result.ids[0].allSatisfy { $0.isHexDigit })
        #expect(result.ids[0] == result.ids[0].lowercased())
        #expect(result.ids[0] != result.ids[1])

        let leased = try await queue.lease(trigger: "uploads", maxItems: 10, maxBytes: 1_000, visibility: .seconds(30))
        #expect(leased.map(\.id) == result.ids)
        #expect(leased[0].source == "file:a.csv#1")
        #expect(leased[0].attributes == ["contentType": "text/csv"])
        #expect(leased[0].data == Array("x,y".utf8))
        #expect(leased[0].time == clock.now)
        #expect(leased.allSatisfy { $0.attempt == 1 })

        let again = try await queue.lease(trigger: "uploads", maxItems: 10, maxBytes: 1_000, visibility: .seconds(30))
        #expect(again.isEmpty)

        try await queue.ack(result.ids)
        try await queue.ack(result.ids)
        clock.advance(by: 60)
        let afterAck = try await queue.lease(trigger: "uploads", maxItems: 10, maxBytes: 1_000, visibility: .seconds(30))
        #expect(afterAck.isEmpty)
        #expect(try await queue.stats(trigger: "uploads").depth == 0)
    }

    @Test func leaseOtherTriggerIsolated() async throws {
        defer { finish() }
        _ = try await queue.enqueue([event(trigger: "a")], idempotencyKey: nil, window: .zero)
        let leased = try await queue.lease(trigger: "b", maxItems: 10, maxBytes: 100, visibility: .seconds(1))
        #expect(leased.isEmpty)
    }

    /// Four events of 10 bytes each, leased with different limits.
    @Test(arguments: [
        (maxItems: 3, maxBytes: 1_000, expected: 3),
        (maxItems: 10, maxBytes: 25, expected: 2),
        (maxItems: 10, maxBytes: 40, expected: 4),
        (maxItems: 10, maxBytes: 5, expected: 1),
        (maxItems: 10, maxBytes: 0, expected: 1),
        (maxItems: 1, maxBytes: 1_000, expected: 1),
    ])
    func leaseLimits(maxItems: Int, maxBytes: Int, expected: Int) async throws {
        defer { finish() }
        let ids = ["e1", "e2", "e3", "e4"]
        for id in ids {
            _ = try await queue.enqueue([event(id, bytes: 10)], idempotencyKey: nil, window: .zero)
        }
        let leased = try await queue.lease(trigger: "uploads", maxItems: maxItems, maxBytes: maxBytes, visibility: .seconds(5))
        #expect(leased.map(\.id) == Array(ids.prefix(expected)))
    }

    @Test func leaseRejectsBadLimits() async throws {
        defer { finish() }
        await #expect(throws: QueueError.self) {
            try await queue.lease(trigger: "uploads", maxItems: 0, maxBytes: 10, visibility: .seconds(1))
        }
        await #expect(throws: QueueError.self) {
            try await queue.lease(trigger: "uploads", maxItems: 1, maxBytes: 10, visibility: .zero)
        }
    }

    @Test func availableAtDelaysFirstDelivery() async throws {
        defer { finish() }
        let start = clock.now
        let delayed = NewEvent(trigger: "uploads", source: "test", data: [1], availableAt: start + 100)
        _ = try await queue.enqueue([delayed], idempotencyKey: nil, window: .zero)
        #expect(try await queue.nextDueTime(trigger: "uploads") == start + 100)
        clock.set(start + 99.5)
        #expect(try await queue.lease(trigger: "uploads", maxItems: 5, maxBytes: 100, visibility: .seconds(1)).isEmpty)
        clock.set(start + 100)
        #expect(try await queue.lease(trigger: "uploads", maxItems: 5, maxBytes: 100, visibility: .seconds(1)).count == 1)
    }

    @Test func leaseExpiryRedelivers() async throws {
        defer { finish() }
        let start = clock.now
        _ = try await queue.enqueue([event("e1")], idempotencyKey: nil, window: .zero)
        let first = try await queue.lease(trigger: "uploads", maxItems: 5, maxBytes: 100, visibility: .seconds(30))
        #expect(first.map(\.attempt) == [1])
        #expect(try await queue.nextDueTime(trigger: "uploads") == start + 30)

        clock.set(start + 29.999)
        #expect(try await queue.lease(trigger: "uploads", maxItems: 5, maxBytes: 100, visibility: .seconds(30)).isEmpty)

        clock.set(start + 30)
        let second = try await queue.lease(trigger: "uploads", maxItems: 5, maxBytes: 100, visibility: .seconds(30))
        #expect(second.map(\.id) == ["e1"])
        #expect(second.map(\.attempt) == [2])
    }

    @Test func retryDelayAtFixedInstants() async throws {
        defer { finish() }
        let start = clock.now
        _ = try await queue.enqueue([event("e1")], idempotencyKey: nil, window: .zero)
        _ = try await queue.lease(trigger: "uploads", maxItems: 5, maxBytes: 100, visibility: .seconds(30))

        clock.set(start + 2)
        try await queue.retry("e1", after: .seconds(10), error: "timeout")
        #expect(try await queue.nextDueTime(trigger: "uploads") == start + 12)
        #expect(try await queue.stats(trigger: "uploads").leased == 0)

        clock.set(start + 11.999)
        #expect(try await queue.lease(trigger: "uploads", maxItems: 5, maxBytes: 100, visibility: .seconds(30)).isEmpty)

        clock.set(start + 12)
        let again = try await queue.lease(trigger: "uploads", maxItems: 5, maxBytes: 100, visibility: .seconds(30))
        #expect(again.map(\.attempt) == [2])
    }

    @Test func retryUnknownIDThrowsNotFound() async throws {
        defer { finish() }
        let error = await #expect(throws: QueueError.self) {
            try await queue.retry("missing", after: .seconds(1), error: "x")
        }
        #expect(error?.code == .notFound)
        #expect(error?.description.contains("missing") == true)
    }

    @Test func deadLetterKeepsHistoryAndRedrives() async throws {
        defer { finish() }
        let start = clock.now
        _ = try await queue.enqueue([event("e1"), event("e2")], idempotencyKey: nil, window: .zero)
        _ = try await queue.lease(trigger: "uploads", maxItems: 1, maxBytes: 100, visibility: .seconds(30))
        clock.set(start + 1)
        try await queue.retry("e1", after: .seconds(5), error: "first failure")
        clock.set(start + 6)
        let second = try await queue.lease(trigger: "uploads", maxItems: 1, maxBytes: 100, visibility: .seconds(30))
        #expect(second.map(\.id) == ["e2"])
        let third = try await queue.lease(trigger: "uploads", maxItems: 1, maxBytes: 100, visibility: .seconds(30))
        #expect(third.map(\.id) == ["e1"])
        #expect(third.map(\.attempt) == [2])
        clock.set(start + 7)
        try await queue.deadLetter("e1", error: "invalid row")

        let letter = try #require(try await queue.deadLetter(id: "e1"))
        #expect(letter.lastError == "invalid row")
        #expect(letter.deadLetteredAt == start + 7)
        #expect(letter.event.attempt == 2)
        #expect(
            letter.attempts == [
                AttemptRecord(attempt: 1, time: start + 1, error: "first failure"),
                AttemptRecord(attempt: 2, time: start + 7, error: "invalid row"),
            ])
        #expect(try await queue.deadLetters(trigger: "uploads", limit: 10) == [letter])
        #expect(try await queue.deadLetters(trigger: "other", limit: 10).isEmpty)
        #expect(try await queue.stats(trigger: "uploads").deadLettered == 1)
        #expect(try await queue.deadLetter(id: "e2") == nil)

        clock.set(start + 100)
        #expect(try await queue.lease(trigger: "uploads", maxItems: 5, maxBytes: 100, visibility: .seconds(30)).map(\.id) == ["e2"])
        #expect(try await queue.redrive(trigger: "uploads", ids: ["e2", "unknown"]) == 0)
        #expect(try await queue.redrive(trigger: "other", ids: nil) == 0)
        #expect(try await queue.redrive(trigger: "uploads", ids: ["e1"]) == 1)
        #expect(try await queue.deadLetter(id: "e1") == nil)
        let redriven = try await queue.lease(trigger: "uploads", maxItems: 5, maxBytes: 100, visibility: .seconds(30))
        #expect(redriven.map(\.id) == ["e1"])
        #expect(redriven.map(\.attempt) == [1])
    }

    @Test func redriveAllMovesEveryDeadLetter() async throws {
        defer { finish() }
        _ = try await queue.enqueue([event("e1"), event("e2"), event("e3")], idempotencyKey: nil, window: .zero)
        _ = try await queue.lease(trigger: "uploads", maxItems: 5, maxBytes: 100, visibility: .seconds(30))
        for id in ["e1", "e2"] { try await queue.deadLetter(id, error: "bad") }
        #expect(try await queue.deadLetters(trigger: "uploads", limit: 1).count == 1)
        #expect(try await queue.redrive(trigger: "uploads", ids: nil) == 2)
        #expect(try await queue.stats(trigger: "uploads").deadLettered == 0)
        let leased = try await queue.lease(trigger: "uploads", maxItems: 5, maxBytes: 100, visibility: .seconds(30))
        #expect(leased.map(\.id) == ["e1", "e2"])
    }

    @Test func idempotencyKeyWithinAndAfterWindow() async throws {
        defer { finish() }
        let start = clock.now
        let first = try await queue.enqueue([event()], idempotencyKey: "delivery-7", window: .seconds(60))
        #expect(!first.duplicate)

        clock.set(start + 59.9)
        let repeated = try await queue.enqueue([event(), event()], idempotencyKey: "delivery-7", window: .seconds(60))
        #expect(repeated == EnqueueResult(ids: first.ids, duplicate: true))
        #expect(try await queue.stats(trigger: "uploads").depth == 1)

        let otherTrigger = try await queue.enqueue([event(trigger: "hooks")], idempotencyKey: "delivery-7", window: .seconds(60))
        #expect(!otherTrigger.duplicate)

        clock.set(start + 60)
        let expired = try await queue.enqueue([event()], idempotencyKey: "delivery-7", window: .seconds(60))
        #expect(!expired.duplicate)
        #expect(expired.ids != first.ids)
        #expect(try await queue.stats(trigger: "uploads").depth == 2)
    }

    @Test func idempotencyKeyRejectsMixedTriggers() async throws {
        defer { finish() }
        let error = await #expect(throws: QueueError.self) {
            try await queue.enqueue([event(trigger: "a"), event(trigger: "b")], idempotencyKey: "k", window: .seconds(1))
        }
        #expect(error?.code == .invalidArgument)
    }

    @Test func duplicateEventID() async throws {
        defer { finish() }
        #expect(try await queue.enqueue([event("e1")], idempotencyKey: nil, window: .zero).duplicate == false)
        let again = try await queue.enqueue([event("e1")], idempotencyKey: nil, window: .zero)
        #expect(again == EnqueueResult(ids: ["e1"], duplicate: true))

        let mixed = try await queue.enqueue([event("e1"), event("e2")], idempotencyKey: nil, window: .zero)
        #expect(mixed == EnqueueResult(ids: ["e1", "e2"], duplicate: false))

        let withinCall = try await queue.enqueue([event("e3"), event("e3")], idempotencyKey: nil, window: .zero)
        #expect(withinCall == EnqueueResult(ids: ["e3", "e3"], duplicate: false))
        #expect(try await queue.stats(trigger: "uploads").depth == 3)

        let error = await #expect(throws: QueueError.self) {
            try await queue.enqueue([event("e4"), event("e1", trigger: "other")], idempotencyKey: nil, window: .zero)
        }
        #expect(error?.code == .idConflict)
        #expect(try await queue.stats(trigger: "uploads").depth == 3)
    }

    @Test func duplicateOfDeadLetterNotStored() async throws {
        defer { finish() }
        _ = try await queue.enqueue([event("e1")], idempotencyKey: nil, window: .zero)
        _ = try await queue.lease(trigger: "uploads", maxItems: 1, maxBytes: 100, visibility: .seconds(5))
        try await queue.deadLetter("e1", error: "bad")
        #expect(try await queue.enqueue([event("e1")], idempotencyKey: nil, window: .zero).duplicate)
        #expect(try await queue.stats(trigger: "uploads").depth == 0)
    }

    @Test func statsAtFixedInstants() async throws {
        defer { finish() }
        let start = clock.now
        #expect(try await queue.stats(trigger: "uploads") == QueueStats(depth: 0, leased: 0, oldestAgeSeconds: 0, deadLettered: 0))
        _ = try await queue.enqueue([event("e1")], idempotencyKey: nil, window: .zero)
        clock.set(start + 10)
        _ = try await queue.enqueue([event("e2"), event("e3")], idempotencyKey: nil, window: .zero)
        _ = try await queue.lease(trigger: "uploads", maxItems: 1, maxBytes: 100, visibility: .seconds(30))
        _ = try await queue.lease(trigger: "uploads", maxItems: 1, maxBytes: 100, visibility: .seconds(30))
        try await queue.deadLetter("e2", error: "bad")

        clock.set(start + 25)
        #expect(try await queue.stats(trigger: "uploads") == QueueStats(depth: 2, leased: 1, oldestAgeSeconds: 25, deadLettered: 1))
        clock.set(start + 40)
        #expect(try await queue.stats(trigger: "uploads").leased == 0)
    }

    @Test func stateSetReadDelete() async throws {
        defer { finish() }
        #expect(try await queue.state("schedule", "nightly") == nil)
        try await queue.setState("schedule", "nightly", "1700000000")
        try await queue.setState("schedule", "nightly", "1700086400")
        try await queue.setState("files", "nightly", "other namespace")
        #expect(try await queue.state("schedule", "nightly") == "1700086400")
        #expect(try await queue.state("files", "nightly") == "other namespace")
        try await queue.setState("schedule", "nightly", nil)
        #expect(try await queue.state("schedule", "nightly") == nil)
    }

    @Test func emptyDataAndAttributesRoundTrip() async throws {
        defer { finish() }
        let empty = NewEvent(id: "e1", trigger: "uploads", source: "", attributes: ["ü": "\"quoted\"\n"], data: [])
        _ = try await queue.enqueue([empty], idempotencyKey: nil, window: .zero)
        let leased = try await queue.lease(trigger: "uploads", maxItems: 1, maxBytes: 0, visibility: .seconds(1))
        #expect(leased.first?.data == [])
        #expect(leased.first?.attributes == ["ü": "\"quoted\"\n"])
    }

    @Test func enqueueRejectsOverlongID() async throws {
        defer { finish() }
        let error = await #expect(throws: QueueError.self) {
            try await queue.enqueue([event(String(repeating: "a", count: 201))], idempotencyKey: nil, window: .zero)
        }
        #expect(error?.code == .invalidArgument)
    }

    @Test func closedQueueThrowsClosed() async throws {
        defer { finish() }
        queue.close()
        queue.close()
        let error = await #expect(throws: QueueError.self) {
            try await queue.stats(trigger: "uploads")
        }
        #expect(error?.code == .closed)
    }
}
