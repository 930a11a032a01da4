import TrellisCore
import TrellisQueue
import TrellisRuntime

/// Opens the queue database the config names, for commands that work on it directly. SQLite in WAL mode
/// lets a running server and these commands share the file.
enum QueueAccess {
    static func open(configOption: String?) throws -> (RuntimeConfig, any EventQueue) {
        let path = ApplicationLoader.configPath(configOption)
        let config: RuntimeConfig
        do {
            config = try path.map { try RuntimeConfig.load(path: $0) } ?? RuntimeConfig()
        } catch {
            throw ApplicationLoader.StartupError(description: "\(path ?? "config"): \(error)")
        }
        return (config, try SQLiteEventQueue(path: config.queuePath))
    }

    /// Throws unless `trigger` is configured (or is an async queue, `async:<function>`).
    static func requireTrigger(_ trigger: String, in config: RuntimeConfig) throws {
        guard trigger.hasPrefix("async:") || config.triggers.contains(where: { $0.name == trigger }) else {
            let known = config.triggers.map(\.name).joined(separator: ", ")
            throw ApplicationLoader.StartupError(
                description: "no trigger named \"\(trigger)\" in the config; configured: \(known.isEmpty ? "none" : known)")
        }
    }
}
