import Synchronization
import Testing
import TrellisCore
import TrellisRuntime

/// A decorator that appends its label to `X-Order` on the way out, so tests can read a chain's order.
private struct Label: Decorator {
    let label: String
    var name: String { "label(\(label))" }

    func handle(_ request: Request, context: Context, next: Handler) async throws -> Response {
        var response = try await next(request, context)
        response.headers.add("X-Order", label)
        return response
    }

    @Sendable static func make(_ settings: DecoratorSettings, _ environment: DecoratorEnvironment) throws -> any Decorator {
        let label = try settings.string("label")
        try settings.finish()
        return Label(label: label)
    }
}

@Suite struct ApplicationBuildTests {
    private func registry(codeLabel: String? = "code") -> FunctionRegistry {
        let registry = FunctionRegistry()
        registry.registerDecorator("label", factory: Label.make)
        let decorators: [any Decorator] = codeLabel.map { [Label(label: $0)] } ?? []
        registry.register("f", options: FunctionOptions(owner: "team", decorators: decorators)) { _, _ in .text("ok") }
        registry.register("g") { _, _ in .text("ok") }
        return registry
    }

    private func config(_ text: String) throws -> RuntimeConfig { try RuntimeConfig.parse(Array(text.utf8)) }

    @Test func chainIsDefaultsThenConfigThenCode() async throws {
        let config = try config(
            #"{"defaults": {"decorators": [{"type": "label", "label": "default"}]},"#
                + #""functions": {"f": {"decorators": [{"type": "label", "label": "config"}]}}}"#)
        let application = try Application.build(registry: registry(), config: config, logSink: MemoryLogSink())
        let function = try #require(application.function(named: "f"))
        #expect(function.decoratorNames == ["label(default)", "label(config)", "label(code)"])
        let response = await function.invoke(Request(), context: application.makeContext(for: function, incomingRequestID: nil))
        // Headers are added on the way out, so the innermost label comes first.
        #expect(response.headers.values(for: "X-Order") == ["code", "config", "default"])
        let other = try #require(application.function(named: "g"))
        #expect(other.decoratorNames == ["label(default)"])
    }

    @Test func inheritDefaultsFalseDropsDefaultChain() throws {
        let config = try config(
            #"{"defaults": {"decorators": [{"type": "label", "label": "default"}]}, "functions": {"f": {"inheritDefaults": false}}}"#)
        let application = try Application.build(registry: registry(), config: config, logSink: MemoryLogSink())
        #expect(application.function(named: "f")?.decoratorNames == ["label(code)"])
    }

    @Test func configOverridesCodeOptions() throws {
        let config = try config(#"{"functions": {"f": {"methods": ["PUT"], "timeoutSeconds": 0.25, "maxConcurrency": 2, "owner": "ops"}}}"#)
        let function = try #require(
            try Application.build(registry: registry(), config: config, logSink: MemoryLogSink()).function(named: "f"))
        #expect(function.methods == ["PUT"])
        #expect(function.timeout == .milliseconds(250))
        #expect(function.maxConcurrency == 2)
        #expect(function.owner == "ops")
    }

    @Test(arguments: [
        (#"{"functions": {"nope": {}}}"#, "functions.nope"),
        (#"{"defaults": {"decorators": [{"type": "lable"}]}}"#, "defaults.decorators[0].type"),
        (#"{"defaults": {"decorators": [{"type": "label"}]}}"#, "defaults.decorators[0].label"),
        (#"{"defaults": {"decorators": [{"type": "label", "label": "x", "extra": 1}]}}"#, "defaults.decorators[0].extra"),
        (#"{"defaults": {"decorators": [{"type": "logging", "level": "loud"}]}}"#, "defaults.decorators[0].level"),
    ])
    func badConfigStopsStartupNamingField(text: String, field: String) throws {
        let config = try config(text)
        do {
            _ = try Application.build(registry: registry(), config: config, logSink: MemoryLogSink())
            Issue.record("expected a config error")
        } catch let error as ConfigError {
            #expect(error.field == field, "\(error)")
        }
    }

    @Test func registryProblemsStopStartup() {
        let registry = FunctionRegistry()
        registry.register("dup") { _, _ in .text("1") }
        registry.register("dup") { _, _ in .text("2") }
        #expect(throws: FunctionRegistry.ValidationError.self) {
            try Application.build(registry: registry, config: RuntimeConfig(), logSink: MemoryLogSink())
        }
    }

    @Test func customTypeMayNotShadowBuiltIn() {
        let registry = FunctionRegistry()
        registry.registerDecorator("logging", factory: Label.make)
        #expect(throws: ConfigError.self) {
            try Application.build(registry: registry, config: RuntimeConfig(), logSink: MemoryLogSink())
        }
    }
}
