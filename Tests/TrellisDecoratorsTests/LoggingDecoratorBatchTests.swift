import Testing
import TrellisCore
import TrellisDecorators

@Suite struct LoggingDecoratorBatchTests {
    /// Events e0…e(n-1) with the given attempts; the trigger allows 3 attempts.
    static func batch(attempts: [Int]) -> Batch {
        Batch(
            trigger: "uploads",
            events: attempts.enumerated().map { Event(id: "e\($0)", trigger: "uploads", source: "test", time: 0, data: Array("secret-data".utf8), attempt: $1) },
            maxAttempts: 3)
    }

    private func run(_ batch: Batch, level: LogLevel = .info, handler: @escaping BatchHandler) async throws -> (JSON, Bool) {
        let sink = MemoryLogSink()
        let context = Context(requestID: "batch-9", functionName: "ingest", deadline: .now + .seconds(5), logger: Logger(level: .info, sink: sink))
        context.principal = Principal(id: "trigger:uploads", scheme: "trigger")
        let chain = BatchDecoratorChain.compose([LoggingDecorator(level: level)], around: handler)
        var threw = false
        do { _ = try await chain(batch, context) } catch { threw = true }
        #expect(sink.jsonLines.count == 1)
        #expect(!sink.jsonLines.joined().contains("secret-data"))
        return (try JSON.parse(try #require(sink.jsonLines.first)), threw)
    }

    @Test func successfulBatchLine() async throws {
        let (line, _) = try await run(Self.batch(attempts: [1, 1, 2])) { _, _ in .success }
        #expect(line["msg"] == "batch")
        #expect(line["level"] == "info")
        #expect(line["requestId"] == "batch-9")
        #expect(line["function"] == "ingest")
        #expect(line["trigger"] == "uploads")
        #expect(line["principal"] == "trigger:uploads")
        #expect(line["items"] == 3)
        #expect(line["failed"] == 0)
        #expect(line["retried"] == 0)
        #expect(line["deadLettered"] == 0)
        #expect(line["durationMs"]?.doubleValue != nil)
        #expect(line["error"] == nil)
    }

    /// One row per failure case: attempts of e0…e3, the failures reported, and the expected counts.
    struct CountCase: Sendable, CustomTestStringConvertible {
        var testDescription: String
        var attempts: [Int]
        var failures: [BatchResult.Failure]
        var failed: Int
        var retried: Int
        var deadLettered: Int
    }

    static let countCases: [CountCase] = [
        CountCase(
            testDescription: "early attempts are retried", attempts: [1, 2, 1, 1],
            failures: [.init(eventID: "e0", reason: "x"), .init(eventID: "e1", reason: "x")], failed: 2, retried: 2, deadLettered: 0),
        CountCase(
            testDescription: "last attempt is dead-lettered", attempts: [3, 2, 1, 4],
            failures: [.init(eventID: "e0", reason: "x"), .init(eventID: "e1", reason: "x"), .init(eventID: "e3", reason: "x")],
            failed: 3, retried: 1, deadLettered: 2),
        CountCase(
            testDescription: "permanent failure is dead-lettered", attempts: [1, 1, 1, 1],
            failures: [.init(eventID: "e2", reason: "bad data", permanent: true), .init(eventID: "e3", reason: "x")],
            failed: 2, retried: 1, deadLettered: 1),
        CountCase(
            testDescription: "unknown and repeated ids", attempts: [1, 1, 1, 1],
            failures: [.init(eventID: "e1", reason: "x"), .init(eventID: "e1", reason: "y", permanent: true), .init(eventID: "zz", reason: "x")],
            failed: 1, retried: 0, deadLettered: 1),
    ]

    @Test(arguments: countCases)
    func failureCounts(_ row: CountCase) async throws {
        let (line, _) = try await run(Self.batch(attempts: row.attempts)) { _, _ in BatchResult(failures: row.failures) }
        #expect(line["items"] == 4)
        #expect(line["failed"] == .int(Int64(row.failed)))
        #expect(line["retried"] == .int(Int64(row.retried)))
        #expect(line["deadLettered"] == .int(Int64(row.deadLettered)))
        #expect(line["level"] == "warning")
    }

    @Test func thrownErrorFailsEveryItem() async throws {
        struct Broken: Error {}
        let (line, threw) = try await run(Self.batch(attempts: [1, 3, 2])) { _, _ in throw Broken() }
        #expect(threw)
        #expect(line["level"] == "error")
        #expect(line["failed"] == 3)
        #expect(line["retried"] == 2)
        #expect(line["deadLettered"] == 1)
        #expect(line["error"] == "internal_error")
    }

    @Test func thrownHTTPErrorLogsItsCode() async throws {
        let (line, _) = try await run(Self.batch(attempts: [1])) { _, _ in
            throw HTTPError(403, code: "trigger_not_allowed", message: "no")
        }
        #expect(line["error"] == "trigger_not_allowed")
    }

    @Test func escalateOffKeepsLevel() async throws {
        let sink = MemoryLogSink()
        let context = Context(requestID: "batch-9", functionName: "ingest", deadline: .now + .seconds(5), logger: Logger(level: .info, sink: sink))
        let chain = BatchDecoratorChain.compose([LoggingDecorator(level: .info, escalate: false)]) { batch, _ in
            BatchResult(failures: [.init(eventID: batch.events[0].id, reason: "x")])
        }
        _ = try await chain(Self.batch(attempts: [1]), context)
        let line = try JSON.parse(try #require(sink.jsonLines.first))
        #expect(line["level"] == "info")
        #expect(line["principal"] == .null)
    }
}
