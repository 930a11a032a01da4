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
    ///
    /// Batch functions get their chains by the same rules, but every decorator in them must be a
    /// `BatchDecorator`; any other stops startup naming it. A batch function's config entry may not
    /// set `methods`, since batch functions have no HTTP route.
    public static func build(
        registry: FunctionRegistry, config: RuntimeConfig, environment: [String: String] = [:],
        logSink: (any LogSink)? = nil, metrics: MetricsRegistry = MetricsRegistry()
    ) throws -> Application {
        try registry.validate()
        let sink = logSink ?? StreamLogSink(
            format: config.logging.format, flushInterval: .milliseconds(config.logging.flushMilliseconds))
        let logger = Logger(level: config.logging.level, sink: sink)
        let catalog = try DecoratorCatalog(registry: registry)

        for name in config.functions.keys.sorted()
        where registry.function(named: name) == nil && registry.batchFunction(named: name) == nil {
            let known = (registry.functions.map(\.name) + registry.batchFunctions.map(\.name)).joined(separator: ", ")
            throw ConfigError(field: "functions.\(name)", "no function named \"\(name)\" is registered in code; registered: \(known)")
        }

        var resolved: [ResolvedFunction] = []
        for definition in registry.functions {
            let overrides = config.functions[definition.name] ?? FunctionOverrides()
            let decorators = try chain(
                for: definition.name, overrides: overrides, code: definition.options.decorators, config: config, catalog: catalog,
                environment: DecoratorEnvironment(metrics: metrics, environment: environment, logger: logger, functionName: definition.name))

            let options = definition.options
            resolved.append(
                ResolvedFunction(
                    name: definition.name, methods: overrides.methods ?? options.methods,
                    timeout: overrides.timeoutSeconds.map(duration(seconds:)) ?? options.timeout,
                    maxConcurrency: overrides.maxConcurrency ?? options.maxConcurrency,
                    owner: overrides.owner ?? options.owner, summary: options.summary, blocking: options.blocking,
                    decorators: decorators, handler: definition.handler, inlineHandler: definition.inlineHandler,
                    metrics: metrics))
        }

        var resolvedBatch: [ResolvedBatchFunction] = []
        for definition in registry.batchFunctions {
            let overrides = config.functions[definition.name] ?? FunctionOverrides()
            if overrides.methods != nil {
                throw ConfigError(
                    field: "functions.\(definition.name).methods",
                    "does not apply to batch function \"\(definition.name)\", which has no HTTP route; remove it")
            }
            let decorators = try chain(
                for: definition.name, overrides: overrides, code: definition.options.decorators, config: config, catalog: catalog,
                environment: DecoratorEnvironment(metrics: metrics, environment: environment, logger: logger, functionName: definition.name))

            let options = definition.options
            resolvedBatch.append(
                ResolvedBatchFunction(
                    name: definition.name,
                    timeout: overrides.timeoutSeconds.map(duration(seconds:)) ?? options.timeout,
                    maxConcurrency: overrides.maxConcurrency ?? options.maxConcurrency,
                    owner: overrides.owner ?? options.owner, summary: options.summary, blocking: options.blocking,
                    decorators: try batchDecorators(decorators, function: definition.name, overrides: overrides, config: config),
                    handler: definition.handler, metrics: metrics))
        }
        return Application(config: config, functions: resolved, batchFunctions: resolvedBatch, metrics: metrics, logger: logger)
    }

    /// The chain of one function, outermost first: defaults (unless not inherited), the config's own
    /// layer, then the code's decorators.
    private static func chain(
        for name: String, overrides: FunctionOverrides, code: [any Decorator], config: RuntimeConfig, catalog: DecoratorCatalog,
        environment: DecoratorEnvironment
    ) throws(ConfigError) -> [any Decorator] {
        var specs = overrides.inheritDefaults ? config.defaultDecorators : []
        specs += overrides.decorators
        var decorators: [any Decorator] = []
        for spec in specs { decorators.append(try catalog.make(spec, environment: environment)) }
        return decorators + code
    }

    /// Returns `decorators` as batch decorators, or throws naming the first that is not one and where
    /// it came from: the defaults, the function's config entry or its code.
    private static func batchDecorators(
        _ decorators: [any Decorator], function name: String, overrides: FunctionOverrides, config: RuntimeConfig
    ) throws(ConfigError) -> [any BatchDecorator] {
        let defaultCount = overrides.inheritDefaults ? config.defaultDecorators.count : 0
        let configCount = defaultCount + overrides.decorators.count
        var batchDecorators: [any BatchDecorator] = []
        for (index, decorator) in decorators.enumerated() {
            if let batchDecorator = decorator as? any BatchDecorator {
                batchDecorators.append(batchDecorator)
                continue
            }
            let field: String
            let advice: String
            if index < defaultCount {
                field = config.defaultDecorators[index].path
                advice = "set \"inheritDefaults\": false in functions.\(name) to drop the default chain for this function"
            } else if index < configCount {
                field = overrides.decorators[index - defaultCount].path
                advice = "remove it from functions.\(name).decorators"
            } else {
                field = "functions.\(name)"
                advice = "remove it from the decorators of the function's FunctionOptions"
            }
            throw ConfigError(
                field: field,
                "decorator \"\(decorator.name)\" does not support batch invocations (it is not a BatchDecorator), so batch function \"\(name)\" cannot use it; \(advice)")
        }
        return batchDecorators
    }

    private static func duration(seconds: Double) -> Duration {
        .milliseconds(Int64((seconds * 1000).rounded()))
    }
}
