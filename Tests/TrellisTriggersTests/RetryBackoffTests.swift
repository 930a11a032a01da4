import Testing
@testable import TrellisTriggers

/// A random source that returns the given values in turn, so a draw's result is known.
struct SequenceGenerator: RandomNumberGenerator {
    var values: [UInt64]
    var position = 0

    mutating func next() -> UInt64 {
        defer { position += 1 }
        return values[position % values.count]
    }
}

/// SplitMix64 (Steele, Lea and Flood, 2014): a small seeded generator for reproducible spreads.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

struct RetryBackoffTests {
    static let second: UInt64 = 1_000_000_000

    /// Attempts and their ceilings under the defaults: base 1 s, maximum 300 s. 2^8 s = 256 s, and 2^9 s
    /// = 512 s is capped.
    static let ceilings: [(attempt: Int, seconds: UInt64)] = [
        (0, 1), (1, 1), (2, 2), (3, 4), (9, 256), (10, 300), (64, 300), (65, 300), (Int.max, 300),
    ]

    @Test(arguments: ceilings)
    func ceilingDoublesUpToMax(attempt: Int, seconds: UInt64) {
        let backoff = RetryBackoff(settings: RetrySettings())
        #expect(backoff.ceilingNanoseconds(afterAttempt: attempt) == seconds * Self.second)
    }

    @Test func ceilingWithLargeBaseSaturates() {
        var settings = RetrySettings()
        settings.baseDelay = .seconds(1_000_000_000)
        settings.maxDelay = .seconds(Int64.max)
        let backoff = RetryBackoff(settings: settings)
        #expect(backoff.ceilingNanoseconds(afterAttempt: 40) == UInt64.max)
    }

    @Test func drawEndsMapToZeroAndCeiling() {
        let backoff = RetryBackoff(settings: RetrySettings())
        var low = SequenceGenerator(values: [0])
        var high = SequenceGenerator(values: [UInt64.max])
        var middle = SequenceGenerator(values: [1 << 63])
        #expect(backoff.delay(afterAttempt: 3, using: &low) == .zero)
        #expect(backoff.delay(afterAttempt: 3, using: &high) == .seconds(4))
        #expect(backoff.delay(afterAttempt: 3, using: &middle) == .nanoseconds(2_000_000_000))
    }

    @Test func drawsStayWithinCeilingAndSpread() {
        let backoff = RetryBackoff(settings: RetrySettings())
        var random = SplitMix64(state: 42)
        let ceiling = Duration.seconds(8)
        let delays = (0..<1000).map { _ in backoff.delay(afterAttempt: 4, using: &random) }
        #expect(delays.allSatisfy { $0 >= .zero && $0 <= ceiling })
        #expect(delays.contains { $0 < .seconds(1) })
        #expect(delays.contains { $0 > .seconds(7) })
    }

    @Test(arguments: [
        (Duration.seconds(30), Duration.seconds(30)), (.seconds(600), .seconds(300)), (.seconds(-1), .zero), (.zero, .zero),
    ])
    func retryAfterOverridesWithinMax(retryAfter: Duration, expected: Duration) {
        let backoff = RetryBackoff(settings: RetrySettings())
        var random = SequenceGenerator(values: [UInt64.max])
        #expect(backoff.delay(afterAttempt: 1, retryAfter: retryAfter, using: &random) == expected)
        #expect(random.position == 0)
    }

    @Test func retriesUntilMaxAttempts() {
        let backoff = RetryBackoff(settings: RetrySettings())
        #expect(backoff.shouldRetry(afterAttempt: 4))
        #expect(!backoff.shouldRetry(afterAttempt: 5))
    }
}
