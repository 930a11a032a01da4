import TrellisDecorators

/// Token bucket costs: one hot key, and a table of one million keys with the memory it takes.
enum TokenBucketBenchmarks {
    static let keyCount = 1_000_000
    static let hotTakes = 2_000_000

    static func run() -> [Measurement] {
        var results: [Measurement] = []
        var instant: UInt64 = 1_000_000_000

        // The bench never refuses: capacity and refill are far above the take rate.
        var bucket = try! TokenBucket(capacity: 1e9, refillPerSecond: 1e9, now: instant)
        results.append(Stopwatch.measure("tokenBucket", "TokenBucket.take, a value without a lock", operations: hotTakes) {
            for _ in 0..<hotTakes {
                instant &+= 1
                consume(bucket.take(1, at: instant))
            }
        })

        let hot = try! KeyedBuckets(capacity: 1e9, refillPerSecond: 1e9)
        results.append(Stopwatch.measure("tokenBucket", "KeyedBuckets.take, one hot key", operations: hotTakes) {
            for _ in 0..<hotTakes {
                instant &+= 1
                consume(hot.take("127.0.0.1", at: instant))
            }
        })

        // IPv4 address keys fit Swift's 15-byte small-string form, so they own no heap buffer.
        let keys = (0..<keyCount).map { "10.\($0 >> 16 & 255).\($0 >> 8 & 255).\($0 & 255)" }
        let table = try! KeyedBuckets(capacity: 100, refillPerSecond: 1, maxKeys: keyCount)
        let before = residentBytes()
        let fillStart = ContinuousClock.now
        for key in keys {
            instant &+= 1
            consume(table.take(key, at: instant))
        }
        let fillNanoseconds = Stopwatch.nanoseconds(ContinuousClock.now - fillStart)
        let after = residentBytes()
        results.append(Measurement(
            group: "tokenBucket", name: "KeyedBuckets.take, first take of each of 1M keys (one run)",
            value: fillNanoseconds / Double(keyCount), unit: "ns/op", samples: [fillNanoseconds / Double(keyCount)]))
        let bytesPerKey = Double(after - before) / Double(table.count)
        results.append(Measurement(
            group: "tokenBucket", name: "KeyedBuckets resident memory per key (1M keys, RSS delta)",
            value: bytesPerKey, unit: "bytes/key", samples: [bytesPerKey]))

        // A fixed shuffle, so each take misses the caches as a spread of clients would.
        var generator = SplitMix64(seed: 42)
        let order = keys.shuffled(using: &generator)
        results.append(Stopwatch.measure("tokenBucket", "KeyedBuckets.take, 1M held keys in random order", operations: keyCount, repetitions: 5) {
            for key in order {
                instant &+= 1
                consume(table.take(key, at: instant))
            }
        })
        return results
    }
}

/// A small seeded generator, so every run shuffles the keys the same way. The constants are those of
/// SplitMix64 as published by Sebastiano Vigna (prng.di.unimi.it).
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
