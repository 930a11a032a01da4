import TrellisCore

extension Application {
    /// Validates the registry against the config and resolves every function's chain and options.
    ///
    /// A function's chain, outermost first, is: the config's `defaults.decorators` (unless the function
    /// sets `inheritDefaults: false`), then the config's `functions.<name>.decorators`, then the
    /// decorators given in code. The operator's layers wrap the author's, so a default logging decorator
    /// sees every answer, early ones from a function's own auth included. Each function gets its own
    /// decorator instances, so a default rate limit keeps separate buckets per function.
    ///
    /// Options in the config (`methods`, `timeoutSeconds`, `maxConcurrency`, `owner`) replace those
    /// given in code. A config entry for a function that is not registered stops startup.
    public static func build(
        registry: FunctionRegistry, config: RuntimeConfig, environment: [String: String] = [:],
        logSink: (any LogSink)? = nil, metrics: MetricsRegistry = MetricsRegistry()
    ) throws -> Application {
        try registry.validate()
        let sink = logSink ?? StreamLogSink(format: config.logging.format)
        let logger = Logger(level: config.logging.level, sink: sink)
        let catalog = try DecoratorCatalog(registry: registry)

        for name in config.functions.keys.sorted() where registry.function(named: name) == nil {
            let known = registry.functions.map(\.name).joined(separator: ", ")
            throw ConfigError(field: "functions.\(name)", "no function named \"\(name)\" is registered in code; registered: \(known)")
        }

        var resolved: [ResolvedFunction] = []
        for definition in registry.functions {
            let overrides = config.functions[definition.name] ?? FunctionOverrides()
            let decoratorEnvironment = DecoratorEnvironment(
                metrics: metrics, environment: environment, logger: logger, functionName: definition.name)
            var specs = overrides.inheritDefaults ? config.defaultDecorators : []
            specs += overrides.decorators
            var decorators: [any Decorator] = []
            for spec in specs { decorators.append(try catalog.make(spec, environment: decoratorEnvironment)) }
            decorators += definition.options.decorators

            let options = definition.options
            resolved.append(
                ResolvedFunction(
                    name: definition.name, methods: overrides.methods ?? options.methods,
                    timeout: overrides.timeoutSeconds.map { .milliseconds(Int64(($0 * 1000).rounded())) } ?? options.timeout,
                    maxConcurrency: overrides.maxConcurrency ?? options.maxConcurrency,
                    owner: overrides.owner ?? options.owner, summary: options.summary, blocking: options.blocking,
                    decorators: decorators, handler: definition.handler, metrics: metrics))
        }
        return Application(config: config, functions: resolved, metrics: metrics, logger: logger)
    }
}
