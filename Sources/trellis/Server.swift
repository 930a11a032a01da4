import TrellisGateway
import TrellisRuntime

enum Server {
    /// Starts the gateway, prints the startup table and URL, and blocks until SIGTERM or SIGINT.
    static func serve(_ application: Application, host: String?, port: Int?) -> Int32 {
        let gateway = Gateway(application: application, host: host, port: port)
        let boundPort: Int
        do {
            boundPort = try gateway.start()
        } catch {
            Output.standardError("trellis serve: \(error)")
            return ExitStatus.failure
        }
        let shownHost = host ?? application.config.server.host
        let urlHost = shownHost.contains(":") ? "[\(shownHost)]" : shownHost
        // Written unbuffered once SIGTERM is handled, so that a supervisor reading a pipe gets the port
        // at once and may stop the server right after.
        return gateway.runUntilSignal {
            Output.standardOutput(ApplicationLoader.functionTable(application))
            Output.standardOutput("\nTrellis listening on http://\(urlHost):\(boundPort)  (port \(boundPort))")
        }
    }
}
