import Foundation
import Synchronization
import TrellisCore
import TrellisDecorators
import TrellisQueue

/// Turns complete files in a watched folder into events, one per file or per record, then moves each
/// file to `done/` (or to `failed/` when it is too large, unreadable, or has records that do not split).
///
/// A file is never processed twice, across restarts too: its events are stored in one call whose
/// idempotency key is a SHA-256 over the file's name and the SHA-256 of its contents, remembered for
/// `FileProducer.ledgerWindow`. A crash after storing and before the move stores nothing the second
/// time, and the same file dropped again under the same name is only moved; a changed file is new.
struct FileProducer: Sendable {
    let config: TriggerConfig
    let settings: FileSettings
    let queue: any EventQueue
    let metrics: TriggerMetrics
    let logger: Logger
    let signal: WakeSignal
    let wakeWorker: @Sendable () -> Void
    /// Files whose move failed, so the error is logged once per file, not on every rescan.
    let failedMoves = FailedMoves()

    final class FailedMoves: Sendable {
        private let names = Mutex<Set<String>>([])
        /// Records `name`; true the first time.
        func insert(_ name: String) -> Bool { names.withLock { $0.insert(name).inserted } }
        func remove(_ name: String) { _ = names.withLock { $0.remove(name) } }
        func contains(_ name: String) -> Bool { names.withLock { $0.contains(name) } }
    }

    /// How long a processed file's identity is remembered. 30 days.
    static let ledgerWindow: Duration = .seconds(30 * 86_400)

    func run() async {
        var scanner: FolderScanner
        do {
            scanner = try FolderScanner(settings: settings)
            try FileManager.default.createDirectory(atPath: settings.path, withIntermediateDirectories: true)
        } catch {
            logger.error("file trigger cannot start", [("path", .string(settings.path)), ("error", .string("\(error)"))])
            return
        }
        while !Task.isCancelled {
            do {
                let complete = try scanner.scan(now: .now)
                for name in scanner.invalidNames where failedMoves.insert("invalid-name:" + name) {
                    logger.warning("file name is not valid UTF-8, so the file is skipped; rename it", [("name", .string(name))])
                }
                for candidate in complete {
                    if Task.isCancelled { return }
                    if !(await process(candidate)) { scanner.forget(candidate.name) }
                }
            } catch {
                logger.error("scanning the folder failed", [("path", .string(settings.path)), ("error", .string("\(error)"))])
            }
            // A file needs two scans `stableFor` apart, so wake up in time for the second one.
            let interval = settings.stableFor > .zero ? min(settings.rescanEvery, settings.stableFor) : settings.rescanEvery
            await signal.wait(timeout: interval)
        }
    }

    /// Stores the file's events and moves it. Returns false when it should be tried again later.
    private func process(_ file: FolderScanner.Candidate) async -> Bool {
        let fileLogger = logger.with(["file": file.name])
        guard file.size <= settings.maxFileBytes else {
            fileLogger.warning("file is larger than maxFileBytes; moving it to failed/", [("bytes", .int(Int64(file.size)))])
            return move(file, to: .failed, logger: fileLogger)
        }
        guard let contents = FileManager.default.contents(atPath: file.path) else {
            fileLogger.error("file is not readable; moving it to failed/")
            return move(file, to: .failed, logger: fileLogger)
        }
        let records: [RecordSplitter.Record]
        do {
            records = try RecordSplitter.split(Array(contents), as: settings.split)
        } catch {
            fileLogger.warning("file cannot be split; moving it to failed/", [("error", .string("\(error)"))])
            return move(file, to: .failed, logger: fileLogger)
        }

        var events: [NewEvent] = []
        var badRecords = 0
        for record in records {
            switch record.result {
            case .success(let data):
                events.append(
                    NewEvent(
                        trigger: config.name, source: "file:\(file.name)#\(record.index)",
                        attributes: [
                            "file": file.name, "record": String(record.index), "line": String(record.line),
                            "contentType": settings.split == .lines ? "text/plain" : "application/json",
                        ],
                        data: data))
            case .failure(let error):
                badRecords += 1
                if badRecords <= 10 { fileLogger.warning("record skipped", [("error", .string(error.description))]) }
            }
        }
        metrics.received.increment(by: records.count)

        let key = "file:" + Digest.hex(Digest.sha256(Array(file.name.utf8) + [0] + Digest.sha256(contents)))
        do {
            let result = try await queue.enqueue(events, idempotencyKey: events.isEmpty ? nil : key, window: Self.ledgerWindow)
            if !result.duplicate { metrics.enqueued.increment(by: events.count) }
            if !(result.duplicate && failedMoves.contains(file.name)) {
                fileLogger.info(
                    result.duplicate ? "file was stored before; moving it" : "file stored",
                    [("events", .int(Int64(events.count))), ("badRecords", .int(Int64(badRecords)))])
            }
        } catch {
            fileLogger.error("storing the file's events failed; it stays for the next scan", [("error", .string("\(error)"))])
            return false
        }
        wakeWorker()
        return move(file, to: badRecords > 0 ? .failed : .done, logger: fileLogger)
    }

    private func move(_ file: FolderScanner.Candidate, to destination: FolderScanner.Destination, logger: Logger) -> Bool {
        do {
            _ = try FolderScanner.move(file.path, to: destination, in: settings.path)
            failedMoves.remove(file.name)
            return true
        } catch {
            if failedMoves.insert(file.name) {
                logger.error("moving the file failed; retrying on every rescan without logging again", [("error", .string("\(error)"))])
            }
            return false
        }
    }
}
