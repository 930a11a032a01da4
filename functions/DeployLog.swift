import Synchronization
import TrellisCore

/// A batch function fed by the signed `deployments` webhook trigger: it keeps the latest deliveries so
/// that `GET /function/deploy-log` shows them, newest first.
enum DeployLog {
    static let batchOptions = FunctionOptions(
        timeout: .seconds(10), owner: "platform-team", summary: "Records deployment webhooks.")
    static let readOptions = FunctionOptions(
        methods: ["GET"], timeout: .seconds(5), owner: "platform-team", summary: "The latest deployment webhooks.")

    /// The number of deliveries kept.
    static let capacity = 100

    struct Entry: Encodable, Sendable {
        var eventId: String
        var receivedAt: String
        var attempt: Int
        var data: String
    }

    private static let entries = Mutex<[Entry]>([])

    @Sendable static func handle(_ batch: Batch, _ context: Context) async throws -> BatchResult {
        let new = batch.events.map {
            Entry(eventId: $0.id, receivedAt: Timestamp.rfc3339($0.time), attempt: $0.attempt, data: $0.dataText)
        }
        entries.withLock { list in
            list.insert(contentsOf: new.reversed(), at: 0)
            if list.count > capacity { list.removeLast(list.count - capacity) }
        }
        return .success
    }

    @Sendable static func read(_ request: Request, _ context: Context) async throws -> Response {
        try .json(entries.withLock { $0 })
    }
}
