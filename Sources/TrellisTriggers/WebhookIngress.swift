import TrellisCore
import TrellisQueue
import TrellisRuntime

/// The HTTP event ingress: webhook deliveries, dead-letter listings and async function calls.
///
/// Endpoints:
/// - `POST /events/{trigger}` for webhook and queue triggers. The body is one JSON value or an array of
///   them, one event each (`WebhookPayload`). Replies 202 `{"accepted": n, "ids": [...], "duplicate": bool}`
///   only after `EventQueue.enqueue` returned, so accepted events are durable. Errors: 400 (`invalid_json`,
///   `empty_batch`, `invalid_event`, `invalid_event_id`, `duplicate_event_id`, `invalid_idempotency_key`),
///   401 (`signature_missing`, `signature_malformed`, `signature_timestamp_out_of_tolerance`,
///   `signature_mismatch`), 404 `trigger_not_found`, 405, 413 (`body_too_large`, `too_many_events`),
///   415 `unsupported_media_type`, 503 `queue_unavailable`.
/// - `GET /events/{trigger}/dlq?limit=N` for any trigger: its dead letters (`DeadLetterListing`),
///   only to clients in `IngressSettings.deadLetterReaders` (else 403 `forbidden`).
/// - `POST /async-function/{name}[/path]` for every ordinary function (`AsyncInvocationEndpoint`).
///
/// Checks run in this order, so that a sender without the secret learns nothing about the payload
/// rules: method, body size, signature, content type, `Idempotency-Key`, JSON and events. The body size
/// limit here is the trigger's `maxBodyBytes`; the gateway's own `bodyBytes` limit applies first.
///
/// A request whose deadline passes while `enqueue` runs gets 504, but the events may still be stored:
/// senders that retry should send an `Idempotency-Key` or event ids so that a retry is not stored twice.
public final class WebhookIngress: EventIngress {
    static let eventsPrefix = "/events/"
    static let deadLetterSuffix = "/dlq"
    /// The `X-GitHub-Delivery` header, GitHub's id of one delivery, kept as the `deliveryId` attribute.
    static let deliveryHeader = "X-GitHub-Delivery"

    private let triggers: [String: TriggerConfig]
    private let queue: any EventQueue
    private let settings: IngressSettings
    private let clock: @Sendable () -> Double
    private let logger: Logger
    private let metrics: IngressMetrics
    private let asyncEndpoint: AsyncInvocationEndpoint
    private let onAccepted: @Sendable (String, Int, Bool) -> Void

    /// - Parameters:
    ///   - triggers: the configured triggers; webhook and queue triggers take events over HTTP.
    ///   - batchFunctions: names of registered batch functions, so that an async call of one gets a 404
    ///     that explains why instead of "not found".
    ///   - clock: the current time in Unix seconds, for signature timestamps.
    ///   - logger: defaults to the application's logger. Request logs also carry the request id.
    ///   - metrics: defaults to the application's registry.
    ///   - onAccepted: called after a request was accepted with the trigger name, the number of events,
    ///     and whether they were stored (false for a duplicate), to count them and wake the workers.
    public init(
        triggers: [TriggerConfig], queue: any EventQueue, application: Application, settings: IngressSettings = IngressSettings(),
        batchFunctions: Set<String> = [], clock: @escaping @Sendable () -> Double = LogRecord.unixTimeNow,
        logger: Logger? = nil, metrics: MetricsRegistry? = nil,
        onAccepted: @escaping @Sendable (String, Int, Bool) -> Void = { _, _, _ in }
    ) {
        self.onAccepted = onAccepted
        self.triggers = Dictionary(triggers.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.queue = queue
        self.settings = settings
        self.clock = clock
        self.logger = (logger ?? application.logger).with(["component": "ingress"])
        let metrics = IngressMetrics(registry: metrics ?? application.metrics)
        self.metrics = metrics
        asyncEndpoint = AsyncInvocationEndpoint(
            application: application, batchFunctions: batchFunctions, queue: queue, settings: settings, metrics: metrics,
            onAccepted: onAccepted)
    }

    public func route(method: String, path: String, query: String) -> IngressRoute? {
        if path.hasPrefix(Self.eventsPrefix) {
            let rest = path.dropFirst(Self.eventsPrefix.count)
            let name = String(rest.prefix { $0 != "/" })
            let remainder = rest.dropFirst(name.count)
            guard !name.isEmpty else { return nil }
            let known = triggers[name] != nil
            if remainder.isEmpty {
                return makeRoute(name: known ? "events:\(name)" : "events") { request, context in
                    try await self.acceptEvents(trigger: name, request: request, context: context)
                }
            }
            if remainder == Self.deadLetterSuffix {
                return makeRoute(name: known ? "dlq:\(name)" : "dlq") { request, context in
                    try await self.listDeadLetters(trigger: name, request: request, context: context)
                }
            }
            return nil
        }
        if path.hasPrefix(AsyncInvocationEndpoint.prefix) {
            let rest = path.dropFirst(AsyncInvocationEndpoint.prefix.count)
            let name = String(rest.prefix { $0 != "/" })
            guard !name.isEmpty else { return nil }
            let subPath = String(rest.dropFirst(name.count))
            return makeRoute(name: asyncEndpoint.routeName(function: name)) { request, context in
                try await self.asyncEndpoint.handle(function: name, subPath: subPath, request: request, context: context)
            }
        }
        return nil
    }

    /// A route whose handler also counts its response status.
    private func makeRoute(name: String, handler: @escaping Handler) -> IngressRoute {
        let metrics = self.metrics
        return IngressRoute(name: name, timeout: settings.requestTimeout) { request, context in
            do {
                let response = try await handler(request, context)
                metrics.recordRequest(route: name, status: response.status)
                return response
            } catch {
                metrics.recordRequest(route: name, status: ErrorMapping.status(for: error, context: context))
                throw error
            }
        }
    }

    // MARK: POST /events/{trigger}

    private func acceptEvents(trigger name: String, request: Request, context: Context) async throws -> Response {
        let webhook = try webhookSettings(trigger: name)
        guard request.method == "POST" else {
            var headers = Headers()
            headers.add("Allow", "POST")
            throw HTTPError(
                405, code: "method_not_allowed",
                message: "\(Self.eventsPrefix)\(name) accepts POST, not \(WebhookPayload.quoted(request.method)).",
                headers: headers)
        }
        guard request.body.count <= webhook.maxBodyBytes else {
            throw HTTPError(
                413, code: "body_too_large",
                message: "The body has \(request.body.count) bytes; trigger \"\(name)\" accepts at most \(webhook.maxBodyBytes).")
        }
        do {
            try WebhookSignatureVerifier.verify(webhook.signature, headers: request.headers, body: request.body, now: clock())
        } catch {
            let httpError = error.httpError
            context.logger.debug("webhook signature rejected", [("trigger", .string(name)), ("reason", .string(httpError.code))])
            throw httpError
        }
        try WebhookPayload.checkContentType(request.headers["Content-Type"])
        let idempotencyKey = try IngressIdempotencyKey.parse(request.headers)
        let payload = try WebhookPayload.parse(request.body, maxEvents: webhook.maxEvents)

        let deliveryID = request.headers[Self.deliveryHeader].flatMap { RequestID.isValid($0) ? $0 : nil } ?? context.requestID
        var attributes = ["deliveryId": deliveryID, "remoteAddress": request.clientAddress]
        if let contentType = request.headers["Content-Type"] { attributes["contentType"] = contentType }
        let events = payload.elements.map { element in
            EventAdmission.Incoming(
                senderID: element.id,
                event: NewEvent(trigger: name, source: "webhook:\(deliveryID)", attributes: attributes, data: element.data))
        }

        let result: EnqueueResult
        do {
            result = try await EventAdmission.store(
                events, requestKey: idempotencyKey, window: webhook.idempotencyWindow, queue: queue)
        } catch {
            metrics.recordEnqueueFailure(trigger: name)
            context.logger.error("enqueue failed", [
                ("trigger", .string(name)), ("events", .int(Int64(events.count))), ("error", .string(String(describing: error))),
            ])
            throw AsyncInvocationEndpoint.queueUnavailable
        }
        if !result.duplicate { metrics.recordAccepted(trigger: name, count: result.ids.count) }
        onAccepted(name, result.ids.count, !result.duplicate)
        context.logger.info("webhook accepted", [
            ("trigger", .string(name)), ("events", .int(Int64(result.ids.count))), ("duplicate", .bool(result.duplicate)),
            ("deliveryId", .string(deliveryID)),
        ])
        let body: JSON = [
            "accepted": .int(Int64(result.ids.count)), "ids": .array(result.ids.map(JSON.string)),
            "duplicate": .bool(result.duplicate),
        ]
        return Response.json(body, status: 202)
    }

    /// Returns the settings of a trigger that takes events over HTTP: a webhook trigger's own, or the defaults
    /// (no signature) for a queue trigger. Throws 404 for other kinds and unknown names.
    private func webhookSettings(trigger name: String) throws(HTTPError) -> WebhookSettings {
        let trigger = try knownTrigger(name)
        switch trigger.kind {
        case .webhook(let settings):
            return settings
        case .queue:
            return WebhookSettings()
        case .schedule, .file:
            throw HTTPError(
                404, code: "trigger_not_found",
                message: "Trigger \"\(name)\" is not a webhook or queue trigger, so it takes no events over HTTP.")
        }
    }

    private func knownTrigger(_ name: String) throws(HTTPError) -> TriggerConfig {
        guard let trigger = triggers[name] else {
            throw HTTPError(404, code: "trigger_not_found", message: "Trigger \(WebhookPayload.quoted(name)) was not found.")
        }
        return trigger
    }

    // MARK: GET /events/{trigger}/dlq

    private func listDeadLetters(trigger name: String, request: Request, context: Context) async throws -> Response {
        _ = try knownTrigger(name)
        guard request.method == "GET" || request.method == "HEAD" else {
            var headers = Headers()
            headers.add("Allow", "GET, HEAD")
            throw HTTPError(
                405, code: "method_not_allowed",
                message: "\(Self.eventsPrefix)\(name)\(Self.deadLetterSuffix) accepts GET and HEAD, not \(WebhookPayload.quoted(request.method)).",
                headers: headers)
        }
        // A dual-stack listener sees an IPv4 client as `::ffff:a.b.c.d`; compare the IPv4 form.
        let client = request.clientAddress.hasPrefix("::ffff:") ? String(request.clientAddress.dropFirst(7)) : request.clientAddress
        guard settings.deadLetterReaders.contains(client) else {
            throw HTTPError(
                403, code: "forbidden",
                message: "Dead letters may be read only from the addresses configured as dead-letter readers.")
        }
        let limit = try DeadLetterListing.limit(from: request)
        let deadLetters: [DeadLetter]
        do {
            deadLetters = try await queue.deadLetters(trigger: name, limit: limit)
        } catch {
            context.logger.error("reading dead letters failed", [("trigger", .string(name)), ("error", .string(String(describing: error)))])
            throw AsyncInvocationEndpoint.queueUnavailable
        }
        return Response.json(DeadLetterListing.json(trigger: name, deadLetters: deadLetters))
    }
}
