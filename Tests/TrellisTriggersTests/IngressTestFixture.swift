import Foundation
import Synchronization
import TrellisCore
import TrellisQueue
import TrellisRuntime
import TrellisTriggers

/// A `WebhookIngress` over a real `SQLiteEventQueue` and a small application, with a fixed clock that
/// the ingress and the queue share. `send` runs a route's handler as the gateway does: thrown errors
/// become responses through `ErrorMapping`.
///
/// Each fixture opens a fresh database in its own temporary folder, and closes the queue and deletes
/// the folder when it is released.
final class IngressTestFixture {
    /// A fixed instant in Unix seconds: 2023-11-14T22:13:20Z.
    static let t0: Int64 = 1_700_000_000
    static let hubSecret = "hub secret"
    static let stripeSecret = "stripe secret"

    let queue: SQLiteEventQueue
    /// The temporary folder holding the database file.
    let folder: URL
    let logs = MemoryLogSink()
    let metrics = MetricsRegistry()
    let application: Application
    let ingress: WebhookIngress
    let clock: Clock

    final class Clock: Sendable {
        private let value = Mutex<Double>(Double(IngressTestFixture.t0))
        var now: Double {
            get { value.withLock { $0 } }
            set { value.withLock { $0 = newValue } }
        }
    }

    /// Triggers: `github` (hub signature, at most 200 body bytes), `stripe` (timestamped,
    /// 300 s), `jobs` (queue), `nightly` (schedule), `limited` (at most 2 events). Functions: `resize`
    /// (POST), `report` (GET only); `ingest` is named as a batch function.
    init(settings: IngressSettings = IngressSettings()) throws {
        let registry = FunctionRegistry()
        registry.register("resize", options: FunctionOptions(methods: ["POST"])) { request, _ in Response(body: request.body) }
        registry.register("report", options: FunctionOptions(methods: ["GET"])) { _, _ in Response.text("report") }
        application = try Application.build(registry: registry, config: RuntimeConfig(), logSink: logs, metrics: metrics)

        var github = WebhookSettings()
        github.signature = .hubSignature(secret: Array(Self.hubSecret.utf8))
        github.maxBodyBytes = 200
        var stripe = WebhookSettings()
        stripe.signature = .timestamped(secret: Array(Self.stripeSecret.utf8), header: "Stripe-Signature", tolerance: .seconds(300))
        var limited = WebhookSettings()
        limited.maxEvents = 2
        let triggers = [
            TriggerConfig(name: "github", kind: .webhook(github), target: "resize"),
            TriggerConfig(name: "stripe", kind: .webhook(stripe), target: "resize"),
            TriggerConfig(name: "jobs", kind: .queue, target: "resize"),
            TriggerConfig(name: "nightly", kind: .schedule(ScheduleSettings(timing: .every(.seconds(60)))), target: "resize"),
            TriggerConfig(name: "limited", kind: .webhook(limited), target: "resize"),
        ]

        // The queue opens last, so nothing after it throws and leaves the folder behind.
        let clock = Clock()
        self.clock = clock
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("trellis-ingress-\(UUID().uuidString)")
        queue = try SQLiteEventQueue(path: folder.appendingPathComponent("queue.db").path, clock: { clock.now })
        ingress = WebhookIngress(
            triggers: triggers, queue: queue, application: application, settings: settings, batchFunctions: ["ingest"],
            clock: { clock.now })
    }

    deinit {
        queue.close()
        try? FileManager.default.removeItem(at: folder)
    }

    /// Leases every due event of `trigger`, oldest first, to read what the ingress stored. The events
    /// stay leased for an hour of fixture time, so a second call does not return them again.
    func leaseAll(trigger: String) async throws -> [Event] {
        try await queue.lease(trigger: trigger, maxItems: 1_000, maxBytes: Int.max, visibility: .seconds(3_600))
    }

    /// The response to one request, or nil when the ingress has no route for the target.
    func send(
        _ method: String, _ target: String, headers: [(String, String)] = [], body: [UInt8] = [],
        clientAddress: String = "127.0.0.1"
    ) async -> Response? {
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = String(parts[0])
        let query = parts.count > 1 ? String(parts[1]) : ""
        guard let route = ingress.route(method: method, path: path, query: query) else { return nil }
        let context = Context(
            requestID: RequestID.resolve(incoming: Headers(headers)["X-Request-Id"]), functionName: route.name,
            deadline: .now + route.timeout, logger: application.logger)
        let request = Request(
            method: method, path: path, query: query, headers: Headers(headers), body: body, clientAddress: clientAddress)
        do {
            return try await route.handler(request, context)
        } catch {
            return ErrorMapping.response(for: error, context: context)
        }
    }

    func send(_ method: String, _ target: String, headers: [(String, String)] = [], text: String) async -> Response? {
        await send(method, target, headers: headers, body: Array(text.utf8))
    }

    /// A POST of `text` to the unsigned queue trigger `jobs` as JSON.
    func postJobs(_ text: String, headers: [(String, String)] = []) async -> Response? {
        await send("POST", "/events/jobs", headers: [("Content-Type", "application/json")] + headers, text: text)
    }

    /// The value of the metric `series` (name and labels as rendered), or nil when absent.
    func metric(_ series: String) -> Int? {
        for line in metrics.render().split(separator: "\n") where line.hasPrefix(series + " ") {
            return Int(line.dropFirst(series.count + 1))
        }
        return nil
    }
}

extension Response {
    /// The body parsed as JSON, or nil.
    var json: JSON? { try? JSON.parse(body) }

    /// The `error` code of a JSON error body.
    var errorCode: String? { json?["error"]?.stringValue }
}
