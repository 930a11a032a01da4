import Foundation
import Glibc
import Synchronization
import TrellisCore

/// A batch function fed by the signed `deployments` webhook trigger. It appends every delivery to an
/// audit file as one JSON line (`{"eventId", "receivedAt", "attempt", "data"}`), fsynced before the
/// batch reports success, and keeps the latest deliveries in memory for `GET /function/deploy-log`.
///
/// The file is `$TRELLIS_DEPLOY_LOG`, default `runtime/data/deploy-audit.ndjson`. Since delivery is
/// at least once, a batch in flight when the process dies is appended again after the restart: a reader
/// should treat `eventId` as the key.
enum DeployLog {
    static let batchOptions = FunctionOptions(
        timeout: .seconds(10), owner: "platform-team", blocking: true, summary: "Records deployment webhooks.")
    static let readOptions = FunctionOptions(
        methods: ["GET"], timeout: .seconds(5), owner: "platform-team", summary: "The latest deployment webhooks.")

    /// The number of deliveries kept in memory.
    static let capacity = 100

    struct Entry: Codable, Sendable {
        var eventId: String
        var receivedAt: String
        var attempt: Int
        var data: String
    }

    private static let entries = Mutex<[Entry]>([])

    static var filePath: String {
        ProcessInfo.processInfo.environment["TRELLIS_DEPLOY_LOG"] ?? "runtime/data/deploy-audit.ndjson"
    }

    struct WriteError: Error, CustomStringConvertible {
        let description: String
    }

    @Sendable static func handle(_ batch: Batch, _ context: Context) async throws -> BatchResult {
        let new = batch.events.map {
            Entry(eventId: $0.id, receivedAt: Timestamp.rfc3339($0.time), attempt: $0.attempt, data: $0.dataText)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var lines = Data()
        for entry in new {
            lines.append(try encoder.encode(entry))
            lines.append(UInt8(ascii: "\n"))
        }
        try append(lines, to: filePath)
        entries.withLock { list in
            list.insert(contentsOf: new.reversed(), at: 0)
            if list.count > capacity { list.removeLast(list.count - capacity) }
        }
        return .success
    }

    /// Appends `data` with one write and fsyncs it; a thrown error fails the batch, which is retried.
    static func append(_ data: Data, to path: String) throws {
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent,
            withIntermediateDirectories: true)
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw WriteError(description: "cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        let written = data.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        guard written == data.count else { throw WriteError(description: "short write to \(path)") }
        guard fsync(descriptor) == 0 else { throw WriteError(description: "fsync of \(path) failed: \(String(cString: strerror(errno)))") }
    }

    @Sendable static func read(_ request: Request, _ context: Context) async throws -> Response {
        try .json(entries.withLock { $0 })
    }
}
