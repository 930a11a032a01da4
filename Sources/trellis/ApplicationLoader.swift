import Foundation
import Functions
import TrellisCore
import TrellisRuntime
import TrellisTriggers

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

    /// A problem that stops startup, with the config file or the code named.
    struct StartupError: Error, CustomStringConvertible {
        let description: String
    }

    /// Loads the config at `path` (the built-in defaults when nil) and builds the application with
    /// `logSink`, or with a sink chosen by the config's `logging.format` when `logSink` is nil
    /// (the `make` closure gets the loaded config for that).
    static func load(
        configPath path: String?, logSink make: (RuntimeConfig) -> (any LogSink)? = { _ in nil }
    ) throws(StartupError) -> Application {
        let config: RuntimeConfig
        do {
            config = try path.map { try RuntimeConfig.load(path: $0) } ?? RuntimeConfig()
        } catch {
            throw StartupError(description: "\(path ?? "config"): \(error)")
        }
        let registry = FunctionRegistry()
        Functions.register(into: registry)
        do {
            let environment = ProcessInfo.processInfo.environment
            let application = try Application.build(registry: registry, config: config, environment: environment, logSink: make(config))
            _ = try TriggerRuntime.configuredTriggers(application: application, environment: environment)
            return application
        } catch let error as FunctionRegistry.ValidationError {
            throw StartupError(description: "functions registered in code: \(error)")
        } catch {
            throw StartupError(description: "\(path ?? "config"): \(error)")
        }
    }

    /// The rows of the function table printed by `serve` and `functions`. Batch functions follow the
    /// others, with `batch` in the methods column since they have no HTTP route.
    static func functionTable(_ application: Application) -> String {
        func chain(_ names: [String]) -> String { names.isEmpty ? "-" : names.joined(separator: " > ") }
        var rows = application.functions.map { function in
            [
                function.name, function.methods.joined(separator: ","), chain(function.decoratorNames),
                "\(formatSeconds(function.timeout.seconds))s", String(function.maxConcurrency), function.owner ?? "-",
            ]
        }
        rows += application.batchFunctions.map { function in
            [
                function.name, "batch", chain(function.decoratorNames),
                "\(formatSeconds(function.timeout.seconds))s", String(function.maxConcurrency), function.owner ?? "-",
            ]
        }
        return Output.table(["FUNCTION", "METHODS", "CHAIN (outermost first)", "TIMEOUT", "CONCURRENCY", "OWNER"], rows)
    }

    static func formatSeconds(_ seconds: Double) -> String {
        seconds.rounded() == seconds ? String(Int(seconds)) : String(seconds)
    }
}
