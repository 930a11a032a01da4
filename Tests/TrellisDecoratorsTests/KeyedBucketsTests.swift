import Synchronization
import Testing
@testable import TrellisDecorators

struct KeyedBucketsTests {
    static let second: UInt64 = 1_000_000_000

    @Test func keysHaveSeparateBuckets() throws {
        let buckets = try KeyedBuckets(capacity: 1, refillPerSecond: 1)
        #expect(buckets.take("a", at: 0).allowed)
        #expect(!buckets.take("a", at: 0).allowed)
        #expect(buckets.take("b", at: 0).allowed)
        #expect(buckets.count == 2)
    }

    @Test func fullBucketsArePruned() throws {
        let buckets = try KeyedBuckets(capacity: 1, refillPerSecond: 1, maxKeys: 10)
        _ = buckets.take("a", at: 0)
        _ = buckets.take("b", at: 0)
        #expect(buckets.count == 2)

        // At 2 s both buckets are full again, so the next take drops them before adding "c".
        _ = buckets.take("c", at: 2 * Self.second)
        #expect(buckets.count == 1)
        #expect(buckets.contains("c"))
        #expect(buckets.lossyEvictionCount == 0)
    }

    @Test func pruningStopsAtFirstNonFullBucket() throws {
        let buckets = try KeyedBuckets(capacity: 2, refillPerSecond: 1, maxKeys: 10)
        _ = buckets.take("a", at: 0)
        _ = buckets.take("b", at: 0)
        _ = buckets.take("b", at: 0)
        // At 1 s "a" is full (1 + 1) and "b" holds only 1 token.
        _ = buckets.take("c", at: Self.second)
        #expect(!buckets.contains("a"))
        #expect(buckets.contains("b"))
        #expect(buckets.count == 2)
    }

    @Test func fullTableEvictsLeastRecentlyUsed() throws {
        let buckets = try KeyedBuckets(capacity: 2, refillPerSecond: 1, maxKeys: 2)
        _ = buckets.take("a", at: 0)
        _ = buckets.take("b", at: 0)
        _ = buckets.take("a", at: 0)

        _ = buckets.take("c", at: 0)
        #expect(buckets.count == 2)
        #expect(buckets.contains("a"))
        #expect(!buckets.contains("b"))
        #expect(buckets.contains("c"))
        #expect(buckets.lossyEvictionCount == 1)
        // "a" kept its state: both tokens were taken at t0.
        #expect(!buckets.take("a", at: 0).allowed)
    }

    @Test func countNeverExceedsMaxKeys() throws {
        let buckets = try KeyedBuckets(capacity: 5, refillPerSecond: 1, maxKeys: 100)
        for index in 0..<1_000 {
            #expect(buckets.take("client-\(index)", at: 0).allowed)
            #expect(buckets.count <= 100)
        }
        #expect(buckets.count == 100)
        #expect(buckets.lossyEvictionCount == 900)
        #expect(buckets.contains("client-999"))
        #expect(!buckets.contains("client-899"))
    }

    @Test func evictedSlotsAreReused() throws {
        let buckets = try KeyedBuckets(capacity: 1, refillPerSecond: 1, maxKeys: 4)
        for round in 0..<50 {
            let now = UInt64(round) * 2 * Self.second
            for index in 0..<4 { _ = buckets.take("k\(index)-\(round)", at: now) }
        }
        #expect(buckets.count == 4)
        #expect(buckets.lossyEvictionCount == 0)
    }

    @Test func slotLayoutMatchesEstimate() {
        // The bytes-per-key estimate in the KeyedBuckets documentation assumes a 56-byte slot.
        #expect(MemoryLayout<KeyedBuckets.Slot>.stride == 56)
        #expect(KeyedBuckets.estimatedBytesPerKey == 165)
    }

    @Test func concurrentTakesAtOneInstantAllowCapacity() async throws {
        let buckets = try KeyedBuckets(capacity: 100, refillPerSecond: 1)
        let allowed = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<1_000 {
                group.addTask { buckets.take("shared", at: 5 * Self.second).allowed }
            }
            var count = 0
            for await result in group where result { count += 1 }
            return count
        }
        #expect(allowed == 100)
    }

    @Test func concurrentTakesStayWithinBurstPlusRefill() async throws {
        // Each take reads the next millisecond from a shared counter, so the tasks race on the bucket
        // with instants that arrive slightly out of order.
        let capacity = 50.0
        let rate = 100.0
        let buckets = try KeyedBuckets(capacity: capacity, refillPerSecond: rate)
        let ticks = TickCounter()
        let takes = 2_000
        let allowed = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<takes {
                group.addTask {
                    let now = ticks.next() * 1_000_000
                    return buckets.take("shared", at: now).allowed
                }
            }
            var count = 0
            for await result in group where result { count += 1 }
            return count
        }
        let elapsedSeconds = Double(takes) / 1_000
        #expect(Double(allowed) <= capacity + rate * elapsedSeconds)
        #expect(allowed >= Int(capacity))
    }
}

/// A shared counter that hands out 1, 2, 3, … to concurrent tasks.
final class TickCounter: Sendable {
    private let value = Atomic<UInt64>(0)

    func next() -> UInt64 { value.add(1, ordering: .relaxed).newValue }
}
