import TrellisCore
import TrellisRuntime

/// What a trigger delivers its batches to: a batch function, or an ordinary function invoked once per
/// event. Implementations never throw: a failure is reported per event in the result.
public protocol BatchInvoking: Sendable {
    var functionName: String { get }
    /// The longest one delivery of a batch may take; the queue's lease is longer than this.
    var timeout: Duration { get }
    func invokeBatch(_ batch: Batch, principal: Principal) async -> BatchResult
}

/// Delivers each event of a batch as its own invocation of an ordinary function, all at once. Each is a
/// POST (or the function's first method when it takes no POST) whose body is the event's data, run
/// through the function's full chain with the trigger as principal. A 2xx status succeeds, and any
/// other status fails the event with the status and the error code.
public struct PerEventInvoker: BatchInvoking {
    public let application: Application
    public let function: ResolvedFunction
    /// Called with each event and its response, for example to deliver an async call's callback.
    public let onResponse: (@Sendable (Event, Response) async -> Void)?

    public init(application: Application, function: ResolvedFunction, onResponse: (@Sendable (Event, Response) async -> Void)? = nil) {
        self.application = application
        self.function = function
        self.onResponse = onResponse
    }

    public var functionName: String { function.name }
    public var timeout: Duration { function.timeout }

    public func invokeBatch(_ batch: Batch, principal: Principal) async -> BatchResult {
        await withTaskGroup(of: BatchResult.Failure?.self) { group in
            for event in batch.events {
                group.addTask { await self.invoke(event, principal: principal) }
            }
            var failures: [BatchResult.Failure] = []
            for await failure in group {
                if let failure { failures.append(failure) }
            }
            return BatchResult(failures: failures)
        }
    }

    private func invoke(_ event: Event, principal: Principal) async -> BatchResult.Failure? {
        var headers = Headers()
        headers.add("Content-Type", event.attributes["contentType"] ?? "application/json")
        headers.add("X-Event-Id", event.id)
        headers.add("X-Trigger", event.trigger)
        headers.add("X-Event-Attempt", String(event.attempt))
        headers.add("X-Event-Source", event.source)
        let request = Request(
            method: function.allows(method: "POST") ? "POST" : function.methods[0], path: event.attributes["path"] ?? "", query: event.attributes["query"] ?? "", headers: headers,
            body: event.data, clientAddress: principal.id)
        let context = application.makeContext(for: function, incomingRequestID: event.attributes["requestId"])
        context.principal = principal
        let response = await function.invokeWithDeadline(request, context: context)
        await onResponse?(event, response)
        guard (200..<300).contains(response.status) else {
            let code = (try? JSON.parse(response.body))?["error"]?.stringValue
            return BatchResult.Failure(
                eventID: event.id, reason: "HTTP \(response.status)" + (code.map { " \($0)" } ?? ""),
                retryAfter: response.headers["Retry-After"].flatMap { Int($0) }.map { .seconds($0) })
        }
        return nil
    }
}
