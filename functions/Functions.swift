import TrellisCore

/// The functions this process serves. `trellis` calls `register(into:)` at startup; add yours here.
///
/// Chains for these examples are attached in `runtime/trellis.json`, so operators can change auth and
/// limits without a rebuild; `stats` also declares a decorator in code to show how the two combine.
public enum Functions {
    public static func register(into registry: FunctionRegistry) {
        registry.registerDecorator(ServerTimingDecorator.configType, factory: ServerTimingDecorator.make)

        registry.register("hello", options: Hello.options, handler: Hello.handle)
        registry.register("echo", options: Echo.options, handler: Echo.handle)
        registry.register("profile", options: Profile.options, handler: Profile.handle)
        registry.register("stats", options: Stats.options, handler: Stats.compute)
    }
}
