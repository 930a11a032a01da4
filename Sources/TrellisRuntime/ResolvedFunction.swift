import Synchronization
import TrellisCore

/// A function ready to serve: its effective options after the config's overrides, its composed chain,
/// its concurrency gate and its metric series. Built once at startup and shared by every loop.
public final class ResolvedFunction: Sendable {
    public let name: String
    /// Upper-case methods, in the order given. `HEAD` is accepted wherever `GET` is.
    public let methods: [String]
    public let timeout: Duration
    public let maxConcurrency: Int
    public let owner: String?
    public let summary: String?
    public let blocking: Bool
    /// The chain's decorator names, outermost first.
    public let decoratorNames: [String]

    private let chain: Handler
    /// The chain for `invokeInline`: set when the handler is inline and every decorator is an `InlineDecorator`.
    private let inlineChain: InlineHandler?
    private let inFlight = Atomic<Int>(0)
    private let metrics: FunctionMetrics

    init(
        name: String, methods: [String], timeout: Duration, maxConcurrency: Int, owner: String?, summary: String?,
        blocking: Bool, decorators: [any Decorator], handler: @escaping Handler, inlineHandler: InlineHandler? = nil,
        metrics: MetricsRegistry
    ) {
        self.name = name
        self.methods = methods
        self.timeout = timeout
        self.maxConcurrency = maxConcurrency
        self.owner = owner
        self.summary = summary
        self.blocking = blocking
        self.decoratorNames = decorators.map(\.name)
        self.chain = DecoratorChain.compose(decorators, around: handler)
        self.inlineChain = inlineHandler.flatMap { DecoratorChain.composeInline(decorators, around: $0) }
        self.metrics = FunctionMetrics(function: name, registry: metrics)
    }

    /// True when `method` may be sent to this function.
    public func allows(method: String) -> Bool {
        methods.contains(method) || (method == "HEAD" && methods.contains("GET"))
    }

    /// The `Allow` field value for a 405.
    public var allowHeader: String {
        var allowed = methods
        if allowed.contains("GET") && !allowed.contains("HEAD") { allowed.append("HEAD") }
        return allowed.joined(separator: ", ")
    }

    /// True when the gateway runs this function with `invokeInline` on the event loop thread: its handler
    /// was registered with `registerInline`, every decorator is an `InlineDecorator`, and it is not `blocking`.
    public var runsInline: Bool { inlineChain != nil && !blocking }

    /// Invocations running now.
    public var inFlightCount: Int { inFlight.load(ordering: .relaxed) }

    /// Runs the chain and the handler, turns a thrown error into its response, and records metrics.
    /// Never throws. The concurrency limit is checked first: when `maxConcurrency` invocations are
    /// already running the answer is 503 with `Retry-After: 1` and the chain does not run.
    ///
    /// 503 and not 429, because the condition is the server's capacity, not the caller's rate: a client
    /// that reads 429 as "you are sending too much" would back off for a limit it did not cause.
    ///
    /// The deadline is not enforced here; the caller cancels the task and calls `context.markTimedOut()`
    /// (the gateway with a loop timer, `invokeWithDeadline` with a task group). A response that returns
    /// after the deadline is recorded as 504.
    ///
    /// It runs on the caller's executor (`nonisolated(nonsending)`), as the chain does, so a call needs
    /// no executor check on entry.
    nonisolated(nonsending) public func invoke(_ request: Request, context: Context) async -> Response {
        let start = ContinuousClock.now
        let running = inFlight.add(1, ordering: .relaxed).newValue
        defer { inFlight.subtract(1, ordering: .relaxed) }
        guard running <= maxConcurrency else { return concurrencyRejection(context: context, start: start) }

        do {
            return finish(try await chain(request, context), context: context, start: start)
        } catch {
            return finish(failure: error, context: context, start: start)
        }
    }

    /// Runs the inline chain and handler on the calling thread, with no task, and otherwise does what
    /// `invoke` does: the same 503 at the concurrency limit, error mapping, logging and metrics. The
    /// handler's own deadline check (see `FunctionRegistry.registerInline`) gives the 504.
    ///
    /// Call it only when the function has an inline chain. `runsInline` functions have one, and so do
    /// `blocking` functions whose handler and decorators are all inline. Without one it stops the process.
    public func invokeInline(_ request: Request, context: Context) -> Response {
        guard let inlineChain else { preconditionFailure("function \"\(name)\" has no inline chain") }
        let start = ContinuousClock.now
        let running = inFlight.add(1, ordering: .relaxed).newValue
        defer { inFlight.subtract(1, ordering: .relaxed) }
        guard running <= maxConcurrency else { return concurrencyRejection(context: context, start: start) }

        do {
            return finish(try inlineChain(request, context), context: context, start: start)
        } catch {
            return finish(failure: error, context: context, start: start)
        }
    }

    /// Returns the 503 for an invocation over `maxConcurrency`, and counts it.
    private func concurrencyRejection(context: Context, start: ContinuousClock.Instant) -> Response {
        metrics.concurrencyRejections.increment()
        var headers = Headers()
        headers.add("Retry-After", "1")
        let response = HTTPError(
            503, code: "concurrency_limit",
            message: "Function \"\(name)\" is running its maximum of \(maxConcurrency) invocations; retry shortly.",
            headers: headers
        ).response(requestID: context.requestID)
        metrics.record(status: 503, seconds: (ContinuousClock.now - start).seconds)
        return response
    }

    /// Turns the error the chain threw into its response and logs a handler's failure, then finishes as
    /// for a returned response.
    private func finish(failure error: any Error, context: Context, start: ContinuousClock.Instant) -> Response {
        if !(error is HTTPError) && !context.isTimedOut {
            context.logger.error("handler failed", [("error", .string(String(describing: error)))])
        }
        return finish(ErrorMapping.response(for: error, context: context), context: context, start: start)
    }

    /// The statuses a function may return. 1xx are interim responses that only the gateway sends (100
    /// Continue), so a handler's 1xx would leave the client waiting for a final response.
    public static let validStatuses = 200...599

    /// Gives 504 in place of `response` once the context timed out, and 500 `invalid_status` in place of
    /// a status outside `validStatuses`; then records the metrics.
    private func finish(_ response: consuming Response, context: Context, start: ContinuousClock.Instant) -> Response {
        if context.isTimedOut && response.status != 504 {
            response = ErrorMapping.response(for: CancellationError(), context: context)
        } else if !Self.validStatuses.contains(response.status) {
            context.logger.error("handler returned an invalid status", [("status", .int(Int64(response.status)))])
            response = HTTPError(
                500, code: "invalid_status",
                message: "Function \"\(name)\" returned status \(response.status); a function may return 200 to 599."
            ).response(requestID: context.requestID)
        }
        metrics.record(status: response.status, seconds: (ContinuousClock.now - start).seconds)
        return response
    }

    /// Runs `invoke` with the deadline enforced by a task group: when `context.deadline` passes first,
    /// the invocation is cancelled and the answer is 504. `trellis invoke` and tests use this; the gateway
    /// uses a loop timer instead, so that no extra task runs per request.
    public func invokeWithDeadline(_ request: Request, context: Context) async -> Response {
        await withTaskGroup(of: Response?.self) { group in
            group.addTask { await self.invoke(request, context: context) }
            group.addTask {
                try? await Task.sleep(until: context.deadline, clock: .continuous)
                return nil
            }
            var response: Response?
            while let result = await group.next() {
                if let result {
                    response = result
                    break
                }
                if !Task.isCancelled {
                    context.markTimedOut()
                    group.cancelAll()
                    response = ErrorMapping.response(for: CancellationError(), context: context)
                    break
                }
            }
            group.cancelAll()
            return response ?? ErrorMapping.response(for: CancellationError(), context: context)
        }
    }
}

extension Duration {
    /// The duration in seconds as a `Double`.
    public var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

/// The metric series of one function, looked up once so that recording takes no registry lock.
final class FunctionMetrics: Sendable {
    let function: String
    let registry: MetricsRegistry
    let duration: Histogram
    let concurrencyRejections: Counter
    private let byStatus = Mutex<[Int: Counter]>([:])
    /// The 200 series once it exists, read without the lock: nearly every invocation answers 200.
    /// It is set on the first 200, so `/metrics` lists the series only after one, as for other statuses.
    /// Unretained because `byStatus` keeps the counter for the object's lifetime.
    private let okCounter = Atomic<Unmanaged<Counter>?>(nil)

    init(function: String, registry: MetricsRegistry) {
        self.function = function
        self.registry = registry
        duration = registry.histogram(
            "trellis_invocation_duration_seconds", help: "Invocation time from the chain's start to its response.",
            labels: ["function": function])
        concurrencyRejections = registry.counter(
            "trellis_concurrency_rejections_total", help: "Invocations answered 503 because the function was at its concurrency limit.",
            labels: ["function": function])
    }

    func record(status: Int, seconds: Double) {
        duration.observe(seconds)
        if status == 200, let counter = okCounter.load(ordering: .acquiring) {
            counter.takeUnretainedValue().increment()
            return
        }
        let counter = byStatus.withLock { counters in
            if let counter = counters[status] { return counter }
            let counter = registry.counter(
                "trellis_invocations_total", help: "Invocations by function and response status.",
                labels: ["function": function, "status": String(status)])
            counters[status] = counter
            return counter
        }
        if status == 200 {
            _ = okCounter.compareExchange(expected: nil, desired: Unmanaged.passUnretained(counter), ordering: .releasing)
        }
        counter.increment()
    }
}
