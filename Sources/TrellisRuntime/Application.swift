import TrellisCore

/// Everything a server or `trellis invoke` needs, built from the registry and the config at startup.
public final class Application: Sendable {
    public let config: RuntimeConfig
    /// Resolved functions in registration order.
    public let functions: [ResolvedFunction]
    public let metrics: MetricsRegistry
    /// The root logger; contexts derive theirs from it.
    public let logger: Logger
    private let byName: [String: ResolvedFunction]

    init(config: RuntimeConfig, functions: [ResolvedFunction], metrics: MetricsRegistry, logger: Logger) {
        self.config = config
        self.functions = functions
        self.metrics = metrics
        self.logger = logger
        self.byName = Dictionary(uniqueKeysWithValues: functions.map { ($0.name, $0) })
    }

    public func function(named name: String) -> ResolvedFunction? { byName[name] }

    /// A context for one invocation of `function`, with its deadline counted from now.
    public func makeContext(for function: ResolvedFunction, incomingRequestID: String?) -> Context {
        Context(
            requestID: RequestID.resolve(incoming: incomingRequestID), functionName: function.name,
            deadline: .now + function.timeout, logger: logger)
    }
}
