import Synchronization
import Testing
import TrellisCore
import TrellisDecorators
import TrellisRuntime

/// A batch decorator that records its label in `order` on the way in, so tests can read a chain's order.
private struct BatchLabel: BatchDecorator {
    let label: String
    let order: OrderLog
    var name: String { "batchLabel(\(label))" }

    func handle(_ request: Request, context: Context, next: Handler) async throws -> Response {
        try await next(request, context)
    }

    func handleBatch(_ batch: Batch, context: Context, next: BatchHandler) async throws -> BatchResult {
        order.append(label)
        return try await next(batch, context)
    }
}

private final class OrderLog: Sendable {
    private let labels = Mutex<[String]>([])
    func append(_ label: String) { labels.withLock { $0.append(label) } }
    var all: [String] { labels.withLock { $0 } }
}

/// A plain decorator with no batch form.
private struct HeaderOnly: Decorator {
    let name = "headerOnly"
    func handle(_ request: Request, context: Context, next: Handler) async throws -> Response { try await next(request, context) }

    @Sendable static func make(_ settings: DecoratorSettings, _ environment: DecoratorEnvironment) throws -> any Decorator {
        try settings.finish()
        return HeaderOnly()
    }
}

private struct Item: Decodable, Sendable {
    var n: Int
}

private func events(_ data: [String], trigger: String = "uploads") -> Batch {
    Batch(
        trigger: trigger,
        events: data.enumerated().map { Event(id: "e\($0)", trigger: trigger, source: "test", time: 0, data: Array($1.utf8)) },
        maxAttempts: 3)
}

private func config(_ text: String) throws -> RuntimeConfig { try RuntimeConfig.parse(Array(text.utf8)) }

@Suite struct ResolvedBatchFunctionTests {
    @Test func chainOrderIsDefaultsThenConfigThenCode() async throws {
        let order = OrderLog()
        let registry = FunctionRegistry()
        registry.registerDecorator("headerOnly", factory: HeaderOnly.make)
        registry.registerBatch("ingest", options: FunctionOptions(decorators: [BatchLabel(label: "code", order: order)])) { _, _ in
            order.append("handler")
            return .success
        }
        let config = try config(
            #"{"defaults": {"decorators": [{"type": "logging"}]},"#
                + #""functions": {"ingest": {"decorators": [{"type": "rateLimit", "key": "function", "capacity": 10, "refillPerSecond": 1}]}}}"#)
        let sink = MemoryLogSink()
        let application = try Application.build(registry: registry, config: config, logSink: sink)
        let function = try #require(application.batchFunction(named: "ingest"))
        #expect(function.decoratorNames == ["logging", "rateLimit(function)", "batchLabel(code)"])

        let context = application.makeContext(for: function, batchID: "b-1", principal: Principal(id: "trigger:uploads", scheme: "trigger"))
        let result = await function.invoke(events(["{}", "{}"]), context: context)
        #expect(result == .success)
        #expect(order.all == ["code", "handler"])
        // The logging decorator ran outermost and saw the whole batch with the context's ids.
        let line = try JSON.parse(try #require(sink.jsonLines.last))
        #expect(line["msg"] == "batch")
        #expect(line["requestId"] == "b-1")
        #expect(line["items"] == 2)
        #expect(line["principal"] == "trigger:uploads")
        #expect(context.rateLimitOutcome == .allowed)
    }

    /// A decorator without a batch form in each layer of a batch function's chain, and the field named.
    @Test(arguments: [
        (#"{"defaults": {"decorators": [{"type": "headerOnly"}]}}"#, "defaults.decorators[0]", "inheritDefaults"),
        (#"{"functions": {"ingest": {"decorators": [{"type": "headerOnly"}]}}}"#, "functions.ingest.decorators[0]", "functions.ingest.decorators"),
    ])
    func nonBatchDecoratorStopsStartup(configText: String, field: String, advice: String) throws {
        let registry = FunctionRegistry()
        registry.registerDecorator("headerOnly", factory: HeaderOnly.make)
        registry.registerBatch("ingest") { _, _ in .success }
        let error = try #require(throws: ConfigError.self) {
            try Application.build(registry: registry, config: try config(configText), logSink: MemoryLogSink())
        }
        #expect(error.field == field)
        #expect(error.message.contains("\"headerOnly\""))
        #expect(error.message.contains(advice))
    }

    @Test func nonBatchDecoratorInCodeStopsStartup() throws {
        let registry = FunctionRegistry()
        registry.registerBatch("ingest", options: FunctionOptions(decorators: [HeaderOnly()])) { _, _ in .success }
        let error = try #require(throws: ConfigError.self) {
            try Application.build(registry: registry, config: RuntimeConfig(), logSink: MemoryLogSink())
        }
        #expect(error.field == "functions.ingest")
        #expect(error.message.contains("\"headerOnly\""))
    }

    @Test func defaultsDroppedWithInheritDefaultsFalse() throws {
        let registry = FunctionRegistry()
        registry.registerDecorator("headerOnly", factory: HeaderOnly.make)
        registry.registerBatch("ingest") { _, _ in .success }
        registry.register("hello") { _, _ in .text("ok") }
        let application = try Application.build(
            registry: registry,
            config: try config(#"{"defaults": {"decorators": [{"type": "headerOnly"}]}, "functions": {"ingest": {"inheritDefaults": false, "owner": "data"}}}"#),
            logSink: MemoryLogSink())
        #expect(application.batchFunction(named: "ingest")?.decoratorNames == [])
        #expect(application.batchFunction(named: "ingest")?.owner == "data")
        #expect(application.function(named: "hello")?.decoratorNames == ["headerOnly"])
        #expect(application.batchFunction(named: "hello") == nil)

        let listing = FunctionListing.json(application)
        #expect(listing.arrayValue?.count == 2)
        #expect(listing.arrayValue?[0]["kind"] == "http")
        #expect(listing.arrayValue?[1]["name"] == "ingest")
        #expect(listing.arrayValue?[1]["kind"] == "batch")
        #expect(listing.arrayValue?[1]["methods"] == .array([]))
    }

    @Test func methodsOverrideRejectedForBatch() throws {
        let registry = FunctionRegistry()
        registry.registerBatch("ingest") { _, _ in .success }
        let error = try #require(throws: ConfigError.self) {
            try Application.build(registry: registry, config: try config(#"{"functions": {"ingest": {"methods": ["POST"]}}}"#), logSink: MemoryLogSink())
        }
        #expect(error.field == "functions.ingest.methods")
    }

    @Test func outcomesAndSizesAreCounted() async throws {
        let registry = FunctionRegistry()
        struct Broken: Error, CustomStringConvertible { var description: String { "disk full" } }
        registry.registerBatch("ingest") { batch, _ in
            if batch.events.count == 3 { throw Broken() }
            return BatchResult(failures: batch.events.filter { $0.dataText == "bad" }.map { .init(eventID: $0.id, reason: "bad") })
        }
        let metrics = MetricsRegistry()
        let sink = MemoryLogSink()
        let application = try Application.build(registry: registry, config: RuntimeConfig(), logSink: sink, metrics: metrics)
        let function = try #require(application.batchFunction(named: "ingest"))
        func run(_ data: [String], id: String) async -> BatchResult {
            await function.invoke(events(data), context: application.makeContext(for: function, batchID: id, principal: nil))
        }

        #expect(await run(["ok"], id: "b1") == .success)
        #expect(await run(["ok", "bad"], id: "b2").failures.map(\.eventID) == ["e1"])
        #expect(await run(["bad", "bad"], id: "b3").failures.count == 2)
        let thrown = await run(["ok", "ok", "ok"], id: "b4")
        #expect(thrown.failures.map(\.eventID) == ["e0", "e1", "e2"])
        for failure in thrown.failures {
            #expect(failure.reason == "disk full")
            #expect(!failure.permanent)
            #expect(failure.retryAfter == nil)
        }

        let text = metrics.render()
        #expect(text.contains(#"trellis_batch_invocations_total{function="ingest",outcome="ok"} 1"#))
        #expect(text.contains(#"trellis_batch_invocations_total{function="ingest",outcome="partial"} 1"#))
        #expect(text.contains(#"trellis_batch_invocations_total{function="ingest",outcome="failed"} 2"#))
        #expect(text.contains(#"trellis_batch_size_bucket{function="ingest",le="1"} 1"#))
        #expect(text.contains(#"trellis_batch_size_bucket{function="ingest",le="2"} 3"#))
        #expect(text.contains(#"trellis_batch_size_bucket{function="ingest",le="1000"} 4"#))
        #expect(text.contains(#"trellis_batch_size_bucket{function="ingest",le="+Inf"} 4"#))
        #expect(text.contains(#"trellis_batch_duration_seconds_count{function="ingest"} 4"#))

        let errorLine = try JSON.parse(try #require(sink.jsonLines.last))
        #expect(errorLine["level"] == "error")
        #expect(errorLine["requestId"] == "b4")
        #expect(errorLine["error"] == "disk full")
    }

    @Test func codableAdapterFailsUndecodableDataPermanently() async throws {
        let seen = Mutex<[Int]>([])
        let registry = FunctionRegistry()
        registry.registerBatch("ingest") { (items: [TypedEvent<Item>], _: Context) in
            seen.withLock { $0 = items.map(\.item.n) }
            return BatchResult(failures: items.filter { $0.item.n < 0 }.map { .init(eventID: $0.event.id, reason: "negative") })
        }
        let application = try Application.build(registry: registry, config: RuntimeConfig(), logSink: MemoryLogSink())
        let function = try #require(application.batchFunction(named: "ingest"))
        let result = await function.invoke(
            events([#"{"n": 1}"#, "not json", #"{"n": -2}"#, #"{"m": 3}"#]),
            context: application.makeContext(for: function, batchID: "b1", principal: nil))

        #expect(seen.withLock { $0 } == [1, -2])
        let byID = Dictionary(uniqueKeysWithValues: result.failures.map { ($0.eventID, $0) })
        #expect(byID.count == 3)
        #expect(byID["e1"]?.permanent == true)
        #expect(byID["e3"]?.permanent == true)
        #expect(byID["e3"]?.reason.contains("'n'") == true)
        #expect(byID["e2"]?.permanent == false)
        #expect(byID["e0"] == nil)
    }

    @Test func concurrencyLimitFailsBatchWithRetryAfter() async throws {
        let registry = FunctionRegistry()
        let started = Atomic<Bool>(false)
        let release = Atomic<Bool>(false)
        registry.registerBatch("ingest", options: FunctionOptions(maxConcurrency: 1)) { _, _ in
            started.store(true, ordering: .relaxed)
            while !release.load(ordering: .relaxed) { await Task.yield() }
            return .success
        }
        let application = try Application.build(registry: registry, config: RuntimeConfig(), logSink: MemoryLogSink())
        let function = try #require(application.batchFunction(named: "ingest"))
        let first = Task { await function.invoke(events(["a"]), context: application.makeContext(for: function, batchID: "b1", principal: nil)) }
        while !started.load(ordering: .relaxed) { await Task.yield() }
        let second = await function.invoke(events(["b"]), context: application.makeContext(for: function, batchID: "b2", principal: nil))
        release.store(true, ordering: .relaxed)
        #expect(second.failures.first?.retryAfter == ResolvedBatchFunction.concurrencyRetryAfter)
        #expect(await first.value == .success)
    }
}
