import TrellisCore
import TrellisRuntime

/// What a trigger delivers its batches to: a batch function, or an ordinary function invoked once per
/// event. Implementations never throw: a failure is reported per event in the result.
public protocol BatchInvoking: Sendable {
    var functionName: String { get }
    /// The maximum time one delivery of a batch may take. The queue's lease is longer than this.
    var timeout: Duration { get }
    func invokeBatch(_ batch: Batch, principal: Principal) async -> BatchResult
}

/// Delivers each event of a batch as its own invocation of an ordinary function, all at once. Each is a
/// POST (or the function's first method when it takes no POST) whose body is the event's data, run
/// through the function's full chain with the trigger as principal. An async call (`async:<name>`)
/// gets back the request it was enqueued with.
///
/// Outcome by status: 2xx succeeds; 408, 429 and 5xx fail and are retried; any other 4xx fails
/// permanently (dead-lettered at once), since sending the same request again cannot help. An async
/// call with an `X-Callback-Url` gets its result POSTed there once the outcome is final: on success,
/// on a permanent failure, or after the last attempt.
public struct PerEventInvoker: BatchInvoking {
    public let application: Application
    public let function: ResolvedFunction
    public let callbacks: CallbackDelivery

    public init(application: Application, function: ResolvedFunction, callbacks: CallbackDelivery = CallbackDelivery()) {
        self.application = application
        self.function = function
        self.callbacks = callbacks
    }

    public var functionName: String { function.name }
    public var timeout: Duration { function.timeout }

    public func invokeBatch(_ batch: Batch, principal: Principal) async -> BatchResult {
        await withTaskGroup(of: BatchResult.Failure?.self) { group in
            for event in batch.events {
                group.addTask { await self.invoke(event, principal: principal, maxAttempts: batch.maxAttempts) }
            }
            var failures: [BatchResult.Failure] = []
            for await failure in group {
                if let failure { failures.append(failure) }
            }
            return BatchResult(failures: failures)
        }
    }

    private func invoke(_ event: Event, principal: Principal, maxAttempts: Int) async -> BatchResult.Failure? {
        var request: Request
        if AsyncInvocation.function(forTrigger: event.trigger) != nil {
            request = AsyncInvocation.request(from: event)
        } else {
            var headers = Headers()
            headers.add("Content-Type", event.attributes["contentType"] ?? "application/json")
            request = Request(
                method: function.allows(method: "POST") ? "POST" : function.methods[0], headers: headers, body: event.data,
                clientAddress: principal.id)
        }
        request.headers["X-Event-Id"] = event.id
        request.headers["X-Trigger"] = event.trigger
        request.headers["X-Event-Attempt"] = String(event.attempt)
        request.headers["X-Event-Source"] = event.source
        let context = application.makeContext(for: function, incomingRequestID: event.attributes["requestId"])
        context.principal = principal
        let response = await function.invokeWithDeadline(request, context: context)

        let status = response.status
        let succeeded = (200..<300).contains(status)
        let permanent = (400..<500).contains(status) && status != 408 && status != 429
        if succeeded || permanent || event.attempt >= maxAttempts, let url = AsyncInvocation.callbackURL(of: event) {
            callbacks.deliver(response, callID: event.id, to: url, logger: context.logger)
        }
        guard !succeeded else { return nil }
        let code = (try? JSON.parse(response.body))?["error"]?.stringValue
        return BatchResult.Failure(
            eventID: event.id, reason: "HTTP \(status)" + (code.map { " \($0)" } ?? ""),
            retryAfter: response.headers["Retry-After"].flatMap { Int($0) }.map { .seconds($0) }, permanent: permanent)
    }
}

/// Sends async calls' results to their callback URLs in the background: up to `attempts` tries, 1 s
/// then 2 s apart, then a logged error. A crash loses callbacks not yet sent; receivers should treat
/// `X-Call-Id` as an idempotency key, since a retried call can call back twice.
public struct CallbackDelivery: Sendable {
    public var sender = CallbackSender()
    /// Tries per callback. Default 3.
    public var attempts = 3

    public init() {}

    func deliver(_ response: Response, callID: String, to url: CallbackURL, logger: Logger) {
        let sender = sender
        let attempts = attempts
        Task.detached {
            for attempt in 1...attempts {
                do {
                    _ = try await sender.send(response, callID: callID, to: url)
                    return
                } catch {
                    guard attempt < attempts else {
                        logger.error("callback failed; giving up", [("callId", .string(callID)), ("error", .string("\(error)"))])
                        return
                    }
                    logger.warning("callback failed; retrying", [("callId", .string(callID)), ("attempt", .int(Int64(attempt))), ("error", .string("\(error)"))])
                    try? await Task.sleep(for: .seconds(attempt))
                }
            }
        }
    }
}
