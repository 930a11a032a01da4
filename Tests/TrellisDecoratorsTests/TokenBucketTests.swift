import Testing
@testable import TrellisDecorators

struct TokenBucketTests {
    static let second: UInt64 = 1_000_000_000

    /// One take on a shared bucket and the expected decision and clock after it.
    struct Step: CustomTestStringConvertible {
        var now: UInt64
        var cost: Double
        var allowed: Bool
        var remaining: Double
        var wait: UInt64?
        var untilFull: UInt64
        var updatedAt: UInt64

        var testDescription: String { "take \(cost) at \(now) ns" }
    }

    // Capacity 3 tokens, 2 tokens per second: one token every 0.5 s. All values are exact in binary.
    static let steps: [Step] = [
        // t0: a full bucket allows three takes at one instant (the burst).
        Step(now: 0, cost: 1, allowed: true, remaining: 2, wait: 0, untilFull: second / 2, updatedAt: 0),
        Step(now: 0, cost: 1, allowed: true, remaining: 1, wait: 0, untilFull: second, updatedAt: 0),
        Step(now: 0, cost: 1, allowed: true, remaining: 0, wait: 0, untilFull: 3 * second / 2, updatedAt: 0),
        // t0: empty, so the fourth is refused and must wait 0.5 s for one token.
        Step(now: 0, cost: 1, allowed: false, remaining: 0, wait: second / 2, untilFull: 3 * second / 2, updatedAt: 0),
        // t1 = 0.25 s: half a token refilled; a refusal reports it but stores nothing.
        Step(now: second / 4, cost: 1, allowed: false, remaining: 0.5, wait: second / 4, untilFull: 5 * second / 4, updatedAt: 0),
        // t2 = 0.5 s: one token refilled and taken.
        Step(now: second / 2, cost: 1, allowed: true, remaining: 0, wait: 0, untilFull: 3 * second / 2, updatedAt: second / 2),
        // t3 = 0.3 s: time went backwards, so nothing is refilled.
        Step(now: 3 * second / 10, cost: 1, allowed: false, remaining: 0, wait: second / 2, untilFull: 3 * second / 2, updatedAt: second / 2),
        // t4 = 2 s: 3 tokens refilled (capped at capacity), 2 taken.
        Step(now: 2 * second, cost: 2, allowed: true, remaining: 1, wait: 0, untilFull: second, updatedAt: 2 * second),
        // t4: a cost above capacity is refused with no wait.
        Step(now: 2 * second, cost: 4, allowed: false, remaining: 1, wait: nil, untilFull: second, updatedAt: 2 * second),
        // t4: a cost of 0 is allowed and takes nothing.
        Step(now: 2 * second, cost: 0, allowed: true, remaining: 1, wait: 0, untilFull: second, updatedAt: 2 * second),
        // t5 = 1 s: backwards again; the stored token is taken and the clock stays at 2 s.
        Step(now: second, cost: 1, allowed: true, remaining: 0, wait: 0, untilFull: 3 * second / 2, updatedAt: 2 * second),
        // t6 = 2.5 s: one token refilled since 2 s, which shows the clock did not move back to 1 s.
        Step(now: 5 * second / 2, cost: 1, allowed: true, remaining: 0, wait: 0, untilFull: 3 * second / 2, updatedAt: 5 * second / 2),
    ]

    @Test func takeSequenceAtFixedInstants() throws {
        var bucket = try TokenBucket(capacity: 3, refillPerSecond: 2, now: 0)
        for step in Self.steps {
            let decision = bucket.take(step.cost, at: step.now)
            #expect(decision.allowed == step.allowed, "\(step.testDescription)")
            #expect(decision.remaining == step.remaining, "\(step.testDescription)")
            #expect(decision.waitNanoseconds == step.wait, "\(step.testDescription)")
            #expect(decision.nanosecondsUntilFull == step.untilFull, "\(step.testDescription)")
            #expect(bucket.updatedAt == step.updatedAt, "\(step.testDescription)")
        }
    }

    @Test func refusedTakeChangesNothing() throws {
        var bucket = try TokenBucket(capacity: 2, refillPerSecond: 1, now: 0)
        _ = bucket.take(2, at: 0)
        let before = bucket
        let decision = bucket.take(1, at: Self.second / 2)
        #expect(!decision.allowed)
        #expect(decision.remaining == 0.5)
        #expect(bucket == before)
    }

    @Test func newBucketIsFull() throws {
        let bucket = try TokenBucket(capacity: 5, refillPerSecond: 1, now: 42)
        #expect(bucket.tokens(at: 42) == 5)
        #expect(bucket.isFull(at: 42))
        #expect(bucket.nanosecondsUntilFull(at: 42) == 0)
    }

    @Test func refillCapsAtCapacity() throws {
        var bucket = try TokenBucket(capacity: 4, refillPerSecond: 1, now: 0)
        _ = bucket.take(4, at: 0)
        #expect(bucket.tokens(at: 2 * Self.second) == 2)
        #expect(!bucket.isFull(at: 2 * Self.second))
        #expect(bucket.tokens(at: 100 * Self.second) == 4)
        #expect(bucket.isFull(at: 4 * Self.second))
    }

    @Test(arguments: [
        (0.0, 1.0, "capacity"), (-1, 1, "capacity"), (.nan, 1, "capacity"), (.infinity, 1, "capacity"),
        (1, 0, "refillPerSecond"), (1, -2, "refillPerSecond"), (1, .nan, "refillPerSecond"), (1, .infinity, "refillPerSecond"),
    ])
    func invalidParameterIsRejected(capacity: Double, rate: Double, parameter: String) {
        #expect {
            _ = try TokenBucket(capacity: capacity, refillPerSecond: rate, now: 0)
        } throws: { error in
            (error as? TokenBucket.InvalidParameter)?.name == parameter
        }
    }

    @Test func longWaitSaturates() throws {
        var bucket = try TokenBucket(capacity: 1e30, refillPerSecond: 1e-6, now: 0)
        #expect(bucket.take(1e30, at: 0).allowed)
        let decision = bucket.take(1e30, at: 0)
        #expect(!decision.allowed)
        #expect(decision.waitNanoseconds == UInt64.max)
    }

    @Test func waitIsEnoughToSucceed() throws {
        // 3 tokens per second is not a binary fraction, so the wait is rounded up to whole nanoseconds.
        var bucket = try TokenBucket(capacity: 1, refillPerSecond: 3, now: 0)
        _ = bucket.take(1, at: 0)
        let wait = try #require(bucket.take(1, at: 0).waitNanoseconds)
        #expect(wait == 333_333_334)
        #expect(bucket.take(1, at: wait).allowed)
    }

    @Test func allowedTotalStaysWithinBurstPlusRefill() throws {
        // A deterministic pseudo-random walk of instants and costs (a linear congruential generator).
        var bucket = try TokenBucket(capacity: 10, refillPerSecond: 4, now: 0)
        var state: UInt64 = 12_345
        var now: UInt64 = 0
        var takenTokens = 0.0
        for _ in 0..<10_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            now += (state >> 33) % 50_000_000
            let cost = Double((state >> 20) % 3 + 1)
            if bucket.take(cost, at: now).allowed { takenTokens += cost }
        }
        let bound = 10 + 4 * Double(now) / 1e9
        // Takes outpace the refill, so after the first burst the bucket is never full and no refill is
        // lost: the total misses the bound only by the tokens left at the end, fewer than the capacity.
        #expect(takenTokens <= bound)
        #expect(takenTokens >= bound - 13)
    }
}
