import Foundation
import Functions
import TrellisCore
import TrellisRuntime

/// Finds and loads the config and builds the application from `Functions.register(into:)`.
enum ApplicationLoader {
    /// Returns the config path to use when `--config` is not given: `$TRELLIS_CONFIG`, else `runtime/trellis.json`
    /// when it exists in the working directory, else the built-in defaults.
    static func configPath(_ option: String?) -> String? {
        if let option { return option }
        if let path = ProcessInfo.processInfo.environment["TRELLIS_CONFIG"], !path.isEmpty { return path }
        let fallback = "runtime/trellis.json"
        return FileManager.default.fileExists(atPath: fallback) ? fallback : nil
    }

    static func loadConfig(_ path: String?) throws -> RuntimeConfig {
        guard let path else { return RuntimeConfig() }
        return try RuntimeConfig.load(path: path)
    }

    static func build(config: RuntimeConfig, logSink: (any LogSink)? = nil) throws -> Application {
        let registry = FunctionRegistry()
        Functions.register(into: registry)
        return try Application.build(
            registry: registry, config: config, environment: ProcessInfo.processInfo.environment, logSink: logSink)
    }

    /// The rows of the function table printed by `serve` and `functions`.
    static func functionTable(_ application: Application) -> String {
        let rows = application.functions.map { function in
            [
                function.name, function.methods.joined(separator: ","),
                function.decoratorNames.isEmpty ? "-" : function.decoratorNames.joined(separator: " > "),
                "\(formatSeconds(function.timeout.seconds))s", String(function.maxConcurrency), function.owner ?? "-",
            ]
        }
        return Output.table(["FUNCTION", "METHODS", "CHAIN (outermost first)", "TIMEOUT", "CONCURRENCY", "OWNER"], rows)
    }

    static func formatSeconds(_ seconds: Double) -> String {
        seconds.rounded() == seconds ? String(Int(seconds)) : String(seconds)
    }
}
