/// Shared handling of a command's arguments: `--help`, and usage errors with exit status 2.
enum Command {
    /// Reads the arguments, printing `help` for `--help` and the error plus a hint for a usage error.
    /// Returns nil with the exit status to use when the command must not go on.
    static func parse(
        _ arguments: [String], name: String, help: String, options: Set<String>, flags: Set<String> = []
    ) -> Result<Arguments, ExitCode> {
        do {
            let parsed = try Arguments(arguments, options: options, flags: flags.union(["--help"]))
            if parsed.flag("--help") {
                print(help)
                return .failure(ExitCode(ExitStatus.success))
            }
            return .success(parsed)
        } catch {
            Output.standardError("trellis \(name): \(error.message)\nRun `trellis \(name) --help` for usage.")
            return .failure(ExitCode(ExitStatus.usage))
        }
    }

    static func usageError(_ name: String, _ message: String) -> Int32 {
        Output.standardError("trellis \(name): \(message)\nRun `trellis \(name) --help` for usage.")
        return ExitStatus.usage
    }
}

struct ExitCode: Error {
    let status: Int32
    init(_ status: Int32) { self.status = status }
}
