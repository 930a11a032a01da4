import Testing
@testable import TrellisDecorators

struct TokenBucketPartialTakeTests {
    static let second: UInt64 = 1_000_000_000

    /// One partial take on a shared bucket and the expected result and clock after it.
    struct Step: CustomTestStringConvertible {
        var now: UInt64
        var count: Int
        var cost: Double
        var taken: Int
        var remaining: Double
        var wait: UInt64?
        var untilFull: UInt64
        var updatedAt: UInt64

        var testDescription: String { "take up to \(count) × \(cost) at \(now) ns" }
    }

    // Capacity 10 tokens, 5 tokens per second: one token every 0.2 s. All values are exact in binary
    // except the waits, which are rounded up to whole nanoseconds.
    static let steps: [Step] = [
        // t0: a full bucket pays for 10 of 23 units; the next unit needs 0.2 s.
        Step(now: 0, count: 23, cost: 1, taken: 10, remaining: 0, wait: second / 5, untilFull: 2 * second, updatedAt: 0),
        // t0: empty, so nothing is taken and nothing changes.
        Step(now: 0, count: 13, cost: 1, taken: 0, remaining: 0, wait: second / 5, untilFull: 2 * second, updatedAt: 0),
        // t1 = 1 s: 5 tokens refilled, all taken.
        Step(now: second, count: 13, cost: 1, taken: 5, remaining: 0, wait: second / 5, untilFull: 2 * second, updatedAt: second),
        // t2 = 2 s: 5 tokens; a request for 3 takes 3 and leaves 2.
        Step(now: 2 * second, count: 3, cost: 1, taken: 3, remaining: 2, wait: 0, untilFull: 8 * second / 5, updatedAt: 2 * second),
        // t2: 2 tokens pay for one unit of cost 2 only.
        Step(now: 2 * second, count: 4, cost: 2, taken: 1, remaining: 0, wait: 2 * second / 5, untilFull: 2 * second, updatedAt: 2 * second),
        // t3 = 1.5 s: time went backwards, so nothing refills and nothing is taken.
        Step(now: 3 * second / 2, count: 1, cost: 1, taken: 0, remaining: 0, wait: second / 5, untilFull: 2 * second, updatedAt: 2 * second),
        // t4 = 2.6 s: 3 tokens; units of cost 4 do not fit, and one is 0.2 s away.
        Step(now: 13 * second / 5, count: 2, cost: 4, taken: 0, remaining: 3, wait: second / 5, untilFull: 7 * second / 5, updatedAt: 2 * second),
        // t4: a cost above capacity never fits, so the wait is nil.
        Step(now: 13 * second / 5, count: 1, cost: 11, taken: 0, remaining: 3, wait: nil, untilFull: 7 * second / 5, updatedAt: 2 * second),
        // t4: a cost of 0 takes every unit and moves only the refill bookkeeping.
        Step(now: 13 * second / 5, count: 7, cost: 0, taken: 7, remaining: 3, wait: 0, untilFull: 7 * second / 5, updatedAt: 13 * second / 5),
        // t4: a count of 0 takes nothing.
        Step(now: 13 * second / 5, count: 0, cost: 1, taken: 0, remaining: 3, wait: 0, untilFull: 7 * second / 5, updatedAt: 13 * second / 5),
    ]

    @Test func takeUpToSequenceAtFixedInstants() throws {
        var bucket = try TokenBucket(capacity: 10, refillPerSecond: 5, now: 0)
        for step in Self.steps {
            let result = bucket.take(upTo: step.count, cost: step.cost, at: step.now)
            #expect(result.count == step.taken, "\(step.testDescription)")
            #expect(abs(result.remaining - step.remaining) < 1e-9, "\(step.testDescription)")
            #expect(result.waitNanoseconds == step.wait, "\(step.testDescription)")
            #expect(result.nanosecondsUntilFull == step.untilFull, "\(step.testDescription)")
            #expect(bucket.updatedAt == step.updatedAt, "\(step.testDescription)")
        }
    }

    @Test func takeUpToMatchesRepeatedTakes() throws {
        // Fractional costs and instants: the unit count must equal that of single takes.
        for cost in [0.1, 0.3, 0.7, 1.5, 2.5] {
            for now: UInt64 in [0, 123_456_789, 777_777_777] {
                var partial = try TokenBucket(capacity: 7, refillPerSecond: 3, now: 0)
                var single = partial
                _ = partial.take(6.9, at: 0)
                _ = single.take(6.9, at: 0)
                let taken = partial.take(upTo: 100, cost: cost, at: now).count
                var singles = 0
                while singles < 100 && single.take(cost, at: now).allowed { singles += 1 }
                #expect(taken == singles, "cost \(cost) at \(now) ns")
            }
        }
    }

    @Test func zeroTakenChangesNothing() throws {
        var bucket = try TokenBucket(capacity: 2, refillPerSecond: 1, now: 0)
        _ = bucket.take(2, at: 0)
        let before = bucket
        _ = bucket.take(upTo: 5, cost: 1, at: Self.second / 2)
        #expect(bucket == before)
    }

    @Test func keyedBucketsTakeUpTo() throws {
        let buckets = try KeyedBuckets(capacity: 10, refillPerSecond: 5)
        #expect(buckets.take("a", upTo: 23, at: 0).count == 10)
        #expect(buckets.take("a", upTo: 23, at: 0).count == 0)
        #expect(buckets.take("b", upTo: 4, cost: 2, at: 0).count == 4)
        #expect(buckets.take("a", upTo: 23, at: Self.second).count == 5)
        // The single take and the partial take share one bucket per key.
        #expect(!buckets.take("a", at: Self.second).allowed)
        #expect(buckets.count == 2)
    }
}
