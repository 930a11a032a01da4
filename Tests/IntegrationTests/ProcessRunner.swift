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
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: repositoryRoot)
        var merged = ProcessInfo.processInfo.environment
        merged.removeValue(forKey: "TRELLIS_CONFIG")
        merged.removeValue(forKey: "PORT")
        for (key, value) in environment { merged[key] = value }
        process.environment = merged
        let output = Pipe()
        let errors = Pipe()
        let input = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()

        // Read both pipes on other threads so a full pipe cannot block the child.
        let stdoutData = ReadAll(output.fileHandleForReading)
        let stderrData = ReadAll(errors.fileHandleForReading)
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline { usleep(10_000) }
        if process.isRunning {
            process.terminate()
            Issue.record("trellis \(arguments.joined(separator: " ")) ran past \(timeout) and was terminated")
        }
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: stdoutData.wait(), stderr: stderrData.wait())
    }
}

/// Reads a file handle to its end on a background thread, with `read(2)` directly: Foundation's
/// `readDataToEndOfFile` traps when a read is interrupted by a signal (EINTR), which a child process's
/// SIGCHLD can cause.
final class ReadAll: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        let descriptor = handle.fileDescriptor
        Thread.detachNewThread { [self] in
            var chunk = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if count > 0 {
                    data.append(contentsOf: chunk[0..<count])
                } else if count < 0 && errno == EINTR {
                    continue
                } else {
                    break
                }
            }
            done.signal()
        }
    }

    func wait() -> String {
        done.wait()
        return String(decoding: data, as: UTF8.self)
    }
}
