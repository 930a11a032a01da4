import TrellisCore

/// The functions this process serves. `trellis` calls `register(into:)` at startup; add yours here.
///
/// Chains for these examples are attached in `runtime/trellis.json`, so operators can change auth and
/// limits without a rebuild; `stats` also declares a decorator in code to show how the two combine.
public enum Functions {
    public static func register(into registry: FunctionRegistry) {
        registry.registerDecorator(ServerTimingDecorator.configType, factory: ServerTimingDecorator.make)

        registry.registerInline("hello", options: Hello.options, handler: Hello.handle)
        registry.registerInline("echo", options: Echo.options, handler: Echo.handle)
        registry.register("profile", options: Profile.options, handler: Profile.handle)
        registry.register("stats", options: Stats.options, handler: Stats.compute)

        // Fed by the triggers in runtime/trellis.json.
        registry.registerBatch("weather-stats", options: WeatherStats.batchOptions, handler: WeatherStats.handle)
        registry.register("weather-report", options: WeatherStats.reportOptions, handler: WeatherStats.report)
        registry.registerBatch("deploy-audit", options: DeployLog.batchOptions, handler: DeployLog.handle)
        registry.register("deploy-log", options: DeployLog.readOptions, handler: DeployLog.read)
        registry.register("heartbeat", options: Heartbeat.options, handler: Heartbeat.handle)
    }
}
