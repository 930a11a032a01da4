import TrellisCore

extension ResolvedFunction {
    /// A function resolved from its registration alone: the options given in code, no config overrides
    /// and no default chain. Tests and embedders use it until the config loader builds functions.
    public convenience init(definition: FunctionDefinition, metrics: MetricsRegistry) {
        let options = definition.options
        self.init(
            name: definition.name, methods: options.methods, timeout: options.timeout,
            maxConcurrency: options.maxConcurrency, owner: options.owner, summary: options.summary,
            blocking: options.blocking, decorators: options.decorators, handler: definition.handler,
            metrics: metrics)
    }
}

extension Application {
    /// An application from functions already resolved, for tests and embedders that build their own.
    /// Function names must be unique.
    public static func make(
        config: RuntimeConfig, functions: [ResolvedFunction], metrics: MetricsRegistry, logger: Logger
    ) -> Application {
        Application(config: config, functions: functions, metrics: metrics, logger: logger)
    }
}
