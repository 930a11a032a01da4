import Functions
import TrellisCore
import TrellisGateway
import TrellisRuntime

/// The real gateway with the shipped functions, on 127.0.0.1 and a free port, for one test.
final class RunningGateway {
    let gateway: Gateway
    let application: Application
    let port: Int
    let logs: MemoryLogSink

    /// Starts a gateway with `config` (JSON text); `environment` replaces the process environment.
    init(config text: String, environment: [String: String] = [:]) throws {
        let config = try RuntimeConfig.parse(Array(text.utf8))
        let registry = FunctionRegistry()
        Functions.register(into: registry)
        logs = MemoryLogSink()
        application = try Application.build(registry: registry, config: config, environment: environment, logSink: logs)
        gateway = Gateway(application: application, host: "127.0.0.1", port: 0)
        port = try gateway.start()
    }

    func stop() async {
        await gateway.shutdown(grace: .seconds(2))
    }

    /// The JSON log lines written so far.
    var logLines: [JSON] { logs.jsonLines.compactMap { try? JSON.parse($0) } }
}

/// Runs `body` against a started gateway and always shuts it down.
func withGateway<Result>(
    config: String, environment: [String: String] = [:], _ body: (RunningGateway) async throws -> Result
) async throws -> Result {
    let running = try RunningGateway(config: config, environment: environment)
    do {
        let result = try await body(running)
        await running.stop()
        return result
    } catch {
        await running.stop()
        throw error
    }
}
