import TrellisCore
import TrellisRuntime

enum FunctionsCommand {
    static let help = """
        Usage: trellis functions [--config PATH] [--json]

        Lists the registered functions with their methods, chain (outermost first), timeout, concurrency
        limit and owner, as the config resolves them.

        Options:
          --config PATH   Config file (default: $TRELLIS_CONFIG, else runtime/trellis.json if present).
          --json          Print the list as JSON, the same shape as GET /functions.
        """

    static func run(_ arguments: [String]) -> Int32 {
        let parsed: Arguments
        switch Command.parse(arguments, name: "functions", help: help, options: ["--config"], flags: ["--json"]) {
        case .success(let value): parsed = value
        case .failure(let exit): return exit.status
        }
        guard parsed.positional.isEmpty else {
            return Command.usageError("functions", "unexpected argument \"\(parsed.positional[0])\"")
        }
        do {
            let path = ApplicationLoader.configPath(parsed.value("--config"))
            let application = try ApplicationLoader.load(configPath: path) { _ in MemoryLogSink() }
            if parsed.flag("--json") {
                print(FunctionListing.json(application).serialized(pretty: true))
            } else {
                print(ApplicationLoader.functionTable(application))
            }
            return ExitStatus.success
        } catch {
            Output.standardError("trellis functions: \(error)")
            return ExitStatus.failure
        }
    }
}
