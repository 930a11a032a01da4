import Foundation
import Synchronization
import TrellisCore
import TrellisGateway
import TrellisQueue
import TrellisRuntime
import TrellisTestSupport
import TrellisTriggers

/// A real gateway with triggers, a real SQLite queue in a temporary folder, and test functions that
/// record what they receive:
/// - `collect` (batch): records every event; fails (retryably) the events whose data contains
///   `poison` while `poisonFails` is true.
/// - `limited` (batch): records every event; configs put a rate limit in front of it.
/// - `record` (ordinary, POST): records the body of every invocation and returns 200.
final class TriggerHarness: @unchecked Sendable {
    final class Recorder: Sendable {
        private let events = Mutex<[(function: String, event: Event, at: ContinuousClock.Instant)]>([])
        let poisonFails = Atomic<Bool>(true)

        func add(_ function: String, _ event: Event) { events.withLock { $0.append((function, event, .now)) } }
        func all(_ function: String) -> [Event] { events.withLock { $0.filter { $0.function == function }.map(\.event) } }
        func times(_ function: String) -> [ContinuousClock.Instant] { events.withLock { $0.filter { $0.function == function }.map(\.at) } }
    }

    let folder: String
    let recorder = Recorder()
    let queue: SQLiteEventQueue
    let application: Application
    let triggers: TriggerRuntime
    let gateway: Gateway
    let port: Int
    let logs = MemoryLogSink()

    /// Starts everything with `config` (JSON text); `{folder}` in it is replaced by the temporary folder.
    /// `folder` reuses an earlier harness's folder, to restart on the same queue database and inbox.
    init(config text: String, folder existing: String? = nil) throws {
        folder = existing ?? (NSTemporaryDirectory() + "trellis-triggers-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let config = try RuntimeConfig.parse(Array(text.replacingOccurrences(of: "{folder}", with: folder).utf8))

        let recorder = recorder
        let registry = FunctionRegistry()
        registry.registerBatch("collect") { batch, _ in
            var failures: [BatchResult.Failure] = []
            for event in batch.events {
                recorder.add("collect", event)
                if recorder.poisonFails.load(ordering: .relaxed) && event.dataText.contains("poison") {
                    failures.append(BatchResult.Failure(eventID: event.id, reason: "poison pill"))
                }
            }
            return BatchResult(failures: failures)
        }
        registry.registerBatch("limited") { batch, _ in
            for event in batch.events { recorder.add("limited", event) }
            return .success
        }
        registry.register("record", options: FunctionOptions(methods: ["POST"])) { request, _ in
            recorder.add("record", Event(id: request.headers["X-Event-Id"] ?? "", trigger: request.headers["X-Trigger"] ?? "",
                                         source: request.headers["X-Event-Source"] ?? "", time: 0, data: request.body))
            return .text("ok")
        }
        queue = try SQLiteEventQueue(path: config.queuePath)
        application = try Application.build(registry: registry, config: config, logSink: logs)
        triggers = try TriggerRuntime.build(application: application, queue: queue)
        let triggers = triggers
        let ingress = WebhookIngress(
            triggers: triggers.triggers, queue: queue, application: application,
            batchFunctions: Set(application.batchFunctions.map(\.name)), onAccepted: { triggers.accepted($0, count: $1, stored: $2) })
        gateway = Gateway(application: application, host: "127.0.0.1", port: 0, ingress: ingress)
        port = try gateway.start()
        triggers.start()
    }

    func stop() async {
        await gateway.shutdown(grace: .seconds(2))
        await triggers.stop(grace: .seconds(2))
        queue.close()
    }

    func removeFolder() { try? FileManager.default.removeItem(atPath: folder) }

    /// Polls `condition` every 20 ms for at most `seconds`.
    func waitUntil(seconds: Double = 10, _ condition: () -> Bool) async -> Bool {
        await TrellisTestSupport.waitUntil(seconds: seconds, pollMilliseconds: 20, condition)
    }

    func metric(_ series: String) -> Double? {
        for line in application.metrics.render().split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }
}
