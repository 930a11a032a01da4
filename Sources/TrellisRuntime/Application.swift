import TrellisCore

/// Everything a server or `trellis invoke` needs, built from the registry and the config at startup.
public final class Application: Sendable {
    public let config: RuntimeConfig
    /// Resolved functions in registration order.
    public let functions: [ResolvedFunction]
    /// Resolved batch functions in registration order.
    public let batchFunctions: [ResolvedBatchFunction]
    public let metrics: MetricsRegistry
    /// The root logger; contexts derive theirs from it.
    public let logger: Logger
    private let byName: [String: ResolvedFunction]
    private let batchByName: [String: ResolvedBatchFunction]

    init(
        config: RuntimeConfig, functions: [ResolvedFunction], batchFunctions: [ResolvedBatchFunction] = [],
        metrics: MetricsRegistry, logger: Logger
    ) {
        self.config = config
        self.functions = functions
        self.batchFunctions = batchFunctions
        self.batchByName = Dictionary(uniqueKeysWithValues: batchFunctions.map { ($0.name, $0) })
        self.metrics = metrics
        self.logger = logger
        self.byName = Dictionary(uniqueKeysWithValues: functions.map { ($0.name, $0) })
    }

    public func function(named name: String) -> ResolvedFunction? { byName[name] }

    public func batchFunction(named name: String) -> ResolvedBatchFunction? { batchByName[name] }

    /// A context for one invocation of `function`, with its deadline counted from now.
    public func makeContext(for function: ResolvedFunction, incomingRequestID: String?) -> Context {
        Context(
            requestID: RequestID.resolve(incoming: incomingRequestID), functionName: function.name,
            deadline: .now + function.timeout, logger: logger)
    }

    /// Builds a context for one invocation of `batchFunction`, with its deadline counted from now. The
    /// batch id becomes the request id of every log line. `principal` (the trigger's, `trigger:<name>`,
    /// as `TriggerConfig.principal` builds it) is what auth decorators check against `allowTriggers`.
    public func makeContext(for batchFunction: ResolvedBatchFunction, batchID: String, principal: Principal?) -> Context {
        let context = Context(
            requestID: batchID, functionName: batchFunction.name, deadline: .now + batchFunction.timeout, logger: logger)
        context.principal = principal
        return context
    }
}
