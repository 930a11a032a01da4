import Synchronization
import Testing
import TrellisCore
@testable import TrellisDecorators

/// Simulated monotonic time: `sleep` records each wait and advances the clock by it at once, so a
/// batch that waits for a minute of refill runs in microseconds.
final class SimulatedTime: Sendable {
    private let instant = Atomic<UInt64>(0)
    private let waits = Mutex<[UInt64]>([])

    var now: UInt64 { instant.load(ordering: .relaxed) }
    var sleeps: [UInt64] { waits.withLock { $0 } }

    func sleep(_ nanoseconds: UInt64) async throws {
        waits.withLock { $0.append(nanoseconds) }
        instant.add(nanoseconds, ordering: .relaxed)
    }
}

/// Each sub-batch a handler saw: its event ids and the simulated instant it ran at.
final class BatchLog: Sendable {
    private let parts = Mutex<[(ids: [String], at: UInt64)]>([])

    func record(_ batch: Batch, at now: UInt64) { parts.withLock { $0.append((batch.events.map(\.id), now)) } }
    var sizes: [Int] { parts.withLock { $0.map(\.ids.count) } }
    var ids: [String] { parts.withLock { $0.flatMap(\.ids) } }
    var instants: [UInt64] { parts.withLock { $0.map(\.at) } }
}

struct RateLimitDecoratorBatchTests {
    static let second: UInt64 = 1_000_000_000

    static func batch(_ count: Int, trigger: String = "uploads") -> Batch {
        Batch(
            trigger: trigger,
            events: (0..<count).map { Event(id: "e\($0)", trigger: trigger, source: "test", time: 0, data: []) },
            maxAttempts: 3)
    }

    static func context(logs: MemoryLogSink = MemoryLogSink()) -> Context {
        let context = Context(requestID: "batch-1", functionName: "ingest", deadline: .now + .seconds(30), logger: Logger(level: .debug, sink: logs))
        context.principal = Principal(id: "trigger:uploads", scheme: "trigger")
        return context
    }

    private func limiter(
        _ time: SimulatedTime, key: RateLimitKey = .function, capacity: Int = 10, refillPerSecond: Double = 5, cost: Int = 1,
        shadow: Bool = false, metrics: MetricsRegistry? = nil
    ) throws -> RateLimitDecorator {
        try RateLimitDecorator(
            key: key, capacity: capacity, refillPerSecond: refillPerSecond, cost: cost, shadow: shadow, metrics: metrics,
            functionName: "ingest", clock: { time.now }, sleep: { try await time.sleep($0) })
    }

    private func handler(_ log: BatchLog, _ time: SimulatedTime, failing: Set<String> = []) -> BatchHandler {
        { batch, _ in
            log.record(batch, at: time.now)
            return BatchResult(failures: batch.events.filter { failing.contains($0.id) }.map { .init(eventID: $0.id, reason: "bad") })
        }
    }

    @Test func oversizedBatchIsSplitByRefill() async throws {
        let time = SimulatedTime()
        let log = BatchLog()
        let metrics = MetricsRegistry()
        let decorator = try limiter(time, metrics: metrics)
        let chain = BatchDecoratorChain.compose([decorator], around: handler(log, time, failing: ["e3", "e22"]))

        let result = try await chain(Self.batch(23), Self.context())

        #expect(log.sizes == [10, 5, 5, 3])
        #expect(time.sleeps == [Self.second, Self.second, 3 * Self.second / 5])
        #expect(time.sleeps.reduce(0, +) == 13 * Self.second / 5)
        #expect(log.instants == [0, Self.second, 2 * Self.second, 13 * Self.second / 5])
        #expect(log.ids == (0..<23).map { "e\($0)" })
        #expect(result.failures.map(\.eventID) == ["e3", "e22"])
        let text = metrics.render()
        #expect(text.contains(#"trellis_ratelimit_decisions_total{function="ingest",decorator="rateLimit(function)",outcome="allowed"} 23"#))
        #expect(text.contains(#"trellis_ratelimit_decisions_total{function="ingest",decorator="rateLimit(function)",outcome="limited"} 0"#))
        #expect(text.contains(#"trellis_ratelimit_delayed_events_total{function="ingest",decorator="rateLimit(function)"} 13"#))
    }

    @Test func batchWithinTokensRunsWhole() async throws {
        let time = SimulatedTime()
        let log = BatchLog()
        let decorator = try limiter(time)
        let chain = BatchDecoratorChain.compose([decorator], around: handler(log, time))
        _ = try await chain(Self.batch(10), Self.context())
        #expect(log.sizes == [10])
        #expect(time.sleeps.isEmpty)
    }

    @Test func costMultipliesEvents() async throws {
        let time = SimulatedTime()
        let log = BatchLog()
        // 3 tokens per event: a full bucket of 10 pays for 3 events; 5 tokens per second pay for 1.
        let decorator = try limiter(time, cost: 3)
        let chain = BatchDecoratorChain.compose([decorator], around: handler(log, time))
        _ = try await chain(Self.batch(5), Self.context())
        #expect(log.sizes == [3, 1, 1])
        // 1 token left after the first part: 2 more take 0.4 s; then 3 tokens take 0.6 s.
        #expect(time.sleeps == [2 * Self.second / 5, 3 * Self.second / 5])
    }

    @Test func rateHeldOverSimulatedMinute() async throws {
        let time = SimulatedTime()
        let log = BatchLog()
        let decorator = try limiter(time)
        let chain = BatchDecoratorChain.compose([decorator], around: handler(log, time))
        _ = try await chain(Self.batch(1_000), Self.context())

        #expect(log.ids.count == 1_000)
        // Count what ran in each whole simulated second of the first minute.
        let sizes = log.sizes
        let instants = log.instants
        var perSecond = [Int](repeating: 0, count: 60)
        for (size, instant) in zip(sizes, instants) where instant < 60 * Self.second {
            perSecond[Int(instant / Self.second)] += size
        }
        #expect(perSecond[0] == 10, "the burst of a full bucket")
        for second in 1..<60 {
            #expect(perSecond[second] == 5, "events in second \(second)")
        }
        let firstMinute = perSecond.reduce(0, +)
        #expect(firstMinute <= 10 + 5 * 60)
        // 990 events beyond the burst at 5 per second.
        #expect(time.sleeps.reduce(0, +) == 198 * Self.second)
    }

    @Test func cancellationWhileWaitingThrows() async throws {
        let log = BatchLog()
        let ran = Atomic<Int>(0)
        let decorator = try RateLimitDecorator(
            key: .function, capacity: 2, refillPerSecond: 0.001, functionName: "ingest",
            sleep: { try await Task.sleep(nanoseconds: $0) })
        let chain = BatchDecoratorChain.compose([decorator]) { batch, _ in
            ran.add(batch.events.count, ordering: .relaxed)
            log.record(batch, at: 0)
            return .success
        }
        let task = Task { try await chain(Self.batch(5), Self.context()) }
        // The first part runs at once; the rest would wait 1000 s for a token.
        while ran.load(ordering: .relaxed) == 0 { await Task.yield() }
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(log.sizes == [2])
    }

    @Test func shadowModeRunsWholeBatch() async throws {
        let time = SimulatedTime()
        let log = BatchLog()
        let metrics = MetricsRegistry()
        let logs = MemoryLogSink()
        let decorator = try limiter(time, shadow: true, metrics: metrics)
        let chain = BatchDecoratorChain.compose([decorator], around: handler(log, time))
        let context = Self.context(logs: logs)
        _ = try await chain(Self.batch(23), context)
        #expect(log.sizes == [23])
        #expect(time.sleeps.isEmpty)
        #expect(context.rateLimitOutcome == .shadowLimited)
        #expect(metrics.render().contains(#"outcome="shadow_limited"} 13"#))
        #expect(logs.jsonLines.contains { $0.contains("shadow mode") })
    }

    /// Bucket keys of a batch, by key kind: no key reads an address or a header field.
    @Test(arguments: [
        (RateLimitKey.principal, "p:trigger:uploads"),
        (RateLimitKey.client, "t:uploads"),
        (RateLimitKey.header("X-Tenant"), "t:uploads"),
        (RateLimitKey.function, "ingest"),
    ])
    func batchBucketKeys(key: RateLimitKey, expected: String) {
        #expect(key.bucketKey(for: Self.batch(1), context: Self.context()) == expected)
    }

    @Test func principalKeyWithoutPrincipalUsesTrigger() {
        let context = Context(requestID: "batch-1", functionName: "ingest", deadline: .now + .seconds(30), logger: Logger(sink: MemoryLogSink()))
        #expect(RateLimitKey.principal.bucketKey(for: Self.batch(1, trigger: "nightly"), context: context) == "p:trigger:nightly")
    }

    @Test func triggersHaveSeparateBuckets() async throws {
        let time = SimulatedTime()
        let log = BatchLog()
        let decorator = try limiter(time, key: .client)
        let chain = BatchDecoratorChain.compose([decorator], around: handler(log, time))
        _ = try await chain(Self.batch(10, trigger: "a"), Self.context())
        _ = try await chain(Self.batch(10, trigger: "b"), Self.context())
        #expect(log.sizes == [10, 10])
        #expect(time.sleeps.isEmpty)
    }
}
