import Foundation
import Testing
import TrellisTestSupport

/// Runs the built `trellis` binary as a child process, with a time limit.
struct ProcessRunner {
    struct Result: Sendable {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// `trellis` next to the test bundle: `swift build --build-tests` builds it into the same folder.
    static var trellisPath: String {
        let bundleFolder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [
            bundleFolder.appendingPathComponent("trellis").path,
            bundleFolder.deletingLastPathComponent().appendingPathComponent("trellis").path,
            FileManager.default.currentDirectoryPath + "/.build/debug/trellis",
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
    }

    /// The repository root, where `runtime/trellis.json` lives: `swift test` runs in the package folder.
    static var repositoryRoot: String { FileManager.default.currentDirectoryPath }

    /// Runs `executable arguments` (by default the `trellis` binary) to completion, killing it after
    /// `timeout`. The wait happens on a thread of its own, so a test that waits for a child process never
    /// blocks a thread of Swift's cooperative pool, which the other tests running at the same time need.
    static func run(
        _ arguments: [String], executable: String = trellisPath, environment: [String: String] = [:],
        stdin: String? = nil, timeout: Duration = .seconds(60)
    ) async throws -> Result {
        try await offPool {
            try runBlocking(arguments, executable: executable, environment: environment, stdin: stdin, timeout: timeout)
        }
    }

    private static func runBlocking(
        _ arguments: [String], executable: String, environment: [String: String], stdin: String?, timeout: Duration
    ) throws -> Result {
        var merged = ProcessInfo.processInfo.environment
        merged.removeValue(forKey: "TRELLIS_CONFIG")
        merged.removeValue(forKey: "PORT")
        for (key, value) in environment { merged[key] = value }
        // Runs in the test's working directory, the package folder, which is `repositoryRoot`.
        let child = try ChildProcess(executable: executable, arguments: arguments, environment: merged)
        // Read both pipes on other threads so a full pipe cannot block the child.
        let stdoutData = ReadAll(descriptor: child.output)
        let stderrData = ReadAll(descriptor: child.errors)
        child.closeInput(after: Array((stdin ?? "").utf8))

        let deadline = ContinuousClock.now + timeout
        while child.isRunning && ContinuousClock.now < deadline { usleep(10_000) }
        if child.isRunning {
            child.send(SIGTERM)
            Issue.record("trellis \(arguments.joined(separator: " ")) ran past \(timeout) and was terminated")
        }
        let status = child.waitExit()
        return Result(status: status, stdout: stdoutData.wait(), stderr: stderrData.wait())
    }
}

/// Reads a descriptor to its end on a background thread.
final class ReadAll: @unchecked Sendable {
    private var data: [UInt8] = []
    private let done = DispatchSemaphore(value: 0)

    init(descriptor: Int32) {
        Thread.detachNewThread { [self] in
            data = PipeReader.readToEnd(descriptor: descriptor)
            done.signal()
        }
    }

    func wait() -> String {
        done.wait()
        return String(decoding: data, as: UTF8.self)
    }
}
