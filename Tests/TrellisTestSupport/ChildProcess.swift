import Foundation

/// A child process started with `posix_spawn`, its standard streams connected to pipes.
///
/// Tests use this instead of Foundation's `Process`: on this toolchain `Process.run()` crashed the whole
/// test process now and then (a bad pointer dereference inside `memcpy` in `Process.run`), even with
/// launches serialised, when many suites ran side by side.
public final class ChildProcess: @unchecked Sendable {
    public struct LaunchError: Error, CustomStringConvertible {
        public let description: String
    }

    private static let lock = NSLock()

    public let pid: pid_t
    /// The write end of the child's standard input; `closeInput` closes it.
    public private(set) var input: Int32
    /// The read ends of the child's standard output and standard error.
    public let output: Int32
    public let errors: Int32
    private var status: Int32?

    /// Starts `executable` (an absolute path) with `arguments` and exactly `environment`, in the test
    /// process's working directory.
    public init(executable: String, arguments: [String], environment: [String: String]) throws {
        // One launch at a time: between pipe() and FD_CLOEXEC another thread's child could inherit
        // these descriptors and keep a pipe open after this child exits.
        ChildProcess.lock.lock()
        defer { ChildProcess.lock.unlock() }
        var stdinPipe: [Int32] = [0, 0]
        var stdoutPipe: [Int32] = [0, 0]
        var stderrPipe: [Int32] = [0, 0]
        guard pipe(&stdinPipe) == 0, pipe(&stdoutPipe) == 0, pipe(&stderrPipe) == 0 else {
            throw LaunchError(description: "pipe failed: errno \(errno)")
        }
        for descriptor in stdinPipe + stdoutPipe + stderrPipe { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdinPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, stdoutPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, stderrPipe[1], 2)

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var child: pid_t = 0
        let result = posix_spawn(&child, executable, &actions, nil, argv, envp)
        close(stdinPipe[0])
        close(stdoutPipe[1])
        close(stderrPipe[1])
        guard result == 0 else {
            close(stdinPipe[1])
            close(stdoutPipe[0])
            close(stderrPipe[0])
            throw LaunchError(description: "posix_spawn of \(executable) failed: \(String(cString: strerror(result)))")
        }
        pid = child
        input = stdinPipe[1]
        output = stdoutPipe[0]
        errors = stderrPipe[0]
    }

    deinit {
        if input >= 0 { close(input) }
        close(output)
        close(errors)
        if status == nil { _ = kill(pid, SIGKILL); _ = waitExit() }
    }

    /// Writes `bytes` to the child's standard input and closes it.
    public func closeInput(after bytes: [UInt8] = []) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(input, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            if written <= 0 { break }
            offset += written
        }
        close(input)
        input = -1
    }

    /// True until the child exited (reaps it when it did).
    public var isRunning: Bool {
        guard status == nil else { return false }
        var raw: Int32 = 0
        let result = waitpid(pid, &raw, WNOHANG)
        guard result == pid else { return true }
        status = Self.decode(raw)
        return false
    }

    /// Waits for the child and returns its exit code, or the signal number when a signal ended it (as
    /// Foundation's `terminationStatus` does).
    @discardableResult
    public func waitExit() -> Int32 {
        if let status { return status }
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
        let decoded = Self.decode(raw)
        status = decoded
        return decoded
    }

    public func send(_ signal: Int32) { _ = kill(pid, signal) }

    /// Exit code for a normal exit, else the terminating signal (the W* macros, which Swift does not import).
    private static func decode(_ raw: Int32) -> Int32 {
        raw & 0x7F == 0 ? (raw >> 8) & 0xFF : raw & 0x7F
    }
}
