import TrellisCore
import TrellisRuntime

enum ConfigCheckCommand {
    static let help = """
        Usage: trellis config check [PATH]

        Validates a config file: its JSON, every setting, and every decorator chain it builds, with the
        environment variables it names. Prints "config OK" and exits 0, or prints the first problem
        (field and value) and exits 1.

        PATH defaults to $TRELLIS_CONFIG, else runtime/trellis.json.
        """

    static func run(_ arguments: [String]) -> Int32 {
        let parsed: Arguments
        switch Command.parse(arguments, name: "config", help: help, options: []) {
        case .success(let value): parsed = value
        case .failure(let exit): return exit.status
        }
        guard parsed.positional.first == "check" else {
            return Command.usageError("config", "expected the subcommand \"check\"")
        }
        guard parsed.positional.count <= 2 else {
            return Command.usageError("config", "unexpected argument \"\(parsed.positional[2])\"")
        }
        guard let path = ApplicationLoader.configPath(parsed.positional.count == 2 ? parsed.positional[1] : nil) else {
            return Command.usageError("config", "no config file: pass PATH or set TRELLIS_CONFIG")
        }
        do {
            let application = try ApplicationLoader.load(configPath: path) { _ in MemoryLogSink() }
            func count(_ number: Int, _ noun: String) -> String { "\(number) \(noun)\(number == 1 ? "" : "s")" }
            print(
                "config OK: \(path), \(count(application.functions.count, "function")), "
                    + "\(count(application.batchFunctions.count, "batch function")), \(count(application.config.triggers.count, "trigger"))")
            return ExitStatus.success
        } catch {
            Output.standardError("trellis config check: \(error)")
            return ExitStatus.failure
        }
    }
}
