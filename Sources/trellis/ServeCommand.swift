import Foundation
import TrellisCore
import TrellisRuntime

enum ServeCommand {
    static let help = """
        Usage: trellis serve [--config PATH] [--host H] [--port N] [--loops N]

        Serves the registered functions over HTTP/1.1 until SIGTERM or SIGINT, then stops accepting,
        lets in-flight requests finish within server.shutdownGraceSeconds and exits 0.

        Options:
          --config PATH   Config file (default: $TRELLIS_CONFIG, else runtime/trellis.json if present).
          --host H        Address to listen on (overrides server.host; default 127.0.0.1).
          --port N        TCP port, 0 for any free port (overrides $PORT and server.port; default 8080).
          --loops N       Event loops, each a thread with its own listening socket, 1 to 64 (overrides
                          server.eventLoops; default: the number of CPUs).
        """

    static func run(_ arguments: [String]) async -> Int32 {
        let parsed: Arguments
        switch Command.parse(arguments, name: "serve", help: help, options: ["--config", "--host", "--port", "--loops"]) {
        case .success(let value): parsed = value
        case .failure(let exit): return exit.status
        }
        guard parsed.positional.isEmpty else {
            return Command.usageError("serve", "unexpected argument \"\(parsed.positional[0])\"")
        }
        let port: Int?
        let eventLoops: Int?
        do {
            port = try parsed.int("--port", in: 0...65_535)
            eventLoops = try parsed.int("--loops", in: ServerSettings.eventLoopRange)
        } catch {
            return Command.usageError("serve", error.message)
        }
        var environmentPort: Int?
        if let text = ProcessInfo.processInfo.environment["PORT"], !text.isEmpty {
            guard let value = Int(text), (0...65_535).contains(value) else {
                Output.standardError("trellis serve: PORT must be a whole number from 0 to 65535, found \"\(text)\"")
                return ExitStatus.failure
            }
            environmentPort = value
        }

        let application: Application
        do {
            application = try ApplicationLoader.load(configPath: ApplicationLoader.configPath(parsed.value("--config")))
        } catch {
            Output.standardError("trellis serve: \(error)")
            return ExitStatus.failure
        }
        let status = await Server.serve(
            application, host: parsed.value("--host"), port: port ?? environmentPort, eventLoops: eventLoops)
        // Every way out of `serve`, a failed start included, writes the buffered log lines here;
        // the sink's `atexit` handler covers any other exit.
        application.logger.sink.flush()
        return status
    }
}
