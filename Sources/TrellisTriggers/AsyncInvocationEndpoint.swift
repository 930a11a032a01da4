import TrellisCore
import TrellisQueue
import TrellisRuntime

/// `POST /async-function/{name}[/path]`: stores a call of an ordinary function in the queue and responds
/// 202 with its id at once; a worker runs it later (see `AsyncInvocation` for the stored form).
///
/// Replies: 202 `{"callId": id, "duplicate": bool}` with `X-Call-Id`, sent only after `enqueue`
/// returned, so the call is durable. 404 `function_not_found` for an unknown name, 404
/// `batch_function` for a batch function (its events come from triggers), 405 for a method other than
/// POST, 400 `post_not_accepted` for a function that does not accept POST (the method every async call
/// runs with), 413 `body_too_large`, 400 `invalid_idempotency_key`, 400 `invalid_callback_url`, and 503
/// `queue_unavailable` when the queue fails.
struct AsyncInvocationEndpoint: Sendable {
    static let prefix = "/async-function/"
    /// The `Retry-After` value of a 503 when the queue failed, in seconds.
    static let retryAfterSeconds = 1

    let application: Application
    let batchFunctions: Set<String>
    let queue: any EventQueue
    let settings: IngressSettings
    let metrics: IngressMetrics
    /// Called after a request was accepted with the trigger name, the number of events, and whether
    /// they were stored (false for a duplicate), to count them and wake the trigger's workers.
    let onAccepted: @Sendable (String, Int, Bool) -> Void

    /// The route name for metrics and logs: `async-function:<name>` for a registered function, else
    /// `async-function`, so unknown names add no metric series.
    func routeName(function: String) -> String {
        application.function(named: function) == nil ? "async-function" : "async-function:\(function)"
    }

    func handle(function name: String, subPath: String, request: Request, context: Context) async throws -> Response {
        guard let function = application.function(named: name) else {
            if batchFunctions.contains(name) {
                throw HTTPError(
                    404, code: "batch_function",
                    message: "Function \(WebhookPayload.quoted(name)) is a batch function; it is fed by triggers and cannot be called over HTTP.")
            }
            throw HTTPError(404, code: "function_not_found", message: "Function \(WebhookPayload.quoted(name)) was not found.")
        }
        guard request.method == AsyncInvocation.method else {
            var headers = Headers()
            headers.add("Allow", AsyncInvocation.method)
            throw HTTPError(
                405, code: "method_not_allowed",
                message: "\(Self.prefix)\(name) accepts POST, not \(WebhookPayload.quoted(request.method)).", headers: headers)
        }
        guard function.allows(method: AsyncInvocation.method) else {
            throw HTTPError.badRequest(
                "Function \"\(name)\" accepts \(function.allowHeader); async calls are made with POST, so it cannot be called async.",
                code: "post_not_accepted")
        }
        guard request.body.count <= settings.asyncMaxBodyBytes else {
            throw HTTPError(
                413, code: "body_too_large",
                message: "The body has \(request.body.count) bytes; async calls take at most \(settings.asyncMaxBodyBytes).")
        }
        let idempotencyKey = try IngressIdempotencyKey.parse(request.headers)
        let callbackURL = try checkedCallbackURL(request.headers)

        let event = AsyncInvocation.makeEvent(
            function: name, request: request, subPath: subPath, requestID: context.requestID, callbackURL: callbackURL)
        let result: EnqueueResult
        do {
            result = try await queue.enqueue([event], idempotencyKey: idempotencyKey, window: settings.asyncIdempotencyWindow)
        } catch {
            metrics.recordEnqueueFailure(trigger: event.trigger)
            context.logger.error("enqueue failed", [("trigger", .string(event.trigger)), ("error", .string(String(describing: error)))])
            throw Self.queueUnavailable
        }
        guard let callID = result.ids.first else {
            context.logger.error("enqueue returned no id", [("trigger", .string(event.trigger))])
            throw Self.queueUnavailable
        }
        if !result.duplicate { metrics.recordAccepted(trigger: event.trigger, count: 1) }
        onAccepted(event.trigger, 1, !result.duplicate)
        context.logger.info("async call accepted", [
            ("callId", .string(callID)), ("duplicate", .bool(result.duplicate)),
            ("callback", callbackURL.map { .string($0.description) } ?? .null),
        ])
        var response = Response.json(["callId": .string(callID), "duplicate": .bool(result.duplicate)], status: 202)
        response.headers.add("X-Call-Id", callID)
        return response
    }

    /// Parses the `X-Callback-Url`, nil when absent. Throws 400 `invalid_callback_url` when it does not parse or
    /// its `host:port` is not in `settings.callbackOrigins`.
    private func checkedCallbackURL(_ headers: Headers) throws(HTTPError) -> CallbackURL? {
        guard let text = headers["X-Callback-Url"] else { return nil }
        do throws(CallbackURLError) {
            let url = try CallbackURL.parse(text)
            guard settings.callbackOrigins.contains(url.hostAndPort) else { throw CallbackURLError.originNotAllowed(url.hostAndPort) }
            return url
        } catch {
            throw HTTPError.badRequest("\(error.description).", code: "invalid_callback_url")
        }
    }

    static var queueUnavailable: HTTPError {
        var headers = Headers()
        headers.add("Retry-After", String(retryAfterSeconds))
        return HTTPError(
            503, code: "queue_unavailable",
            message: "The event queue failed to store the request; nothing was accepted. Retry shortly.", headers: headers)
    }
}
