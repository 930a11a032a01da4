import TrellisCore
import TrellisDecorators

/// The decorator types the config can name: the built-in ones and those registered in code.
struct DecoratorCatalog {
    /// Built-in types by config name.
    static let builtIn: [(type: String, factory: DecoratorFactory)] = [
        (LoggingDecorator.configType, LoggingDecorator.make),
        (RateLimitDecorator.configType, RateLimitDecorator.make),
        (APIKeyDecorator.configType, APIKeyDecorator.make),
        (JWTDecorator.configType, JWTDecorator.make),
    ]

    private var factories: [String: DecoratorFactory] = [:]

    init(registry: FunctionRegistry) throws(ConfigError) {
        for entry in Self.builtIn { factories[entry.type] = entry.factory }
        for entry in registry.decoratorFactories {
            guard factories[entry.type] == nil || !Self.builtIn.contains(where: { $0.type == entry.type }) else {
                throw ConfigError(field: "", "decorator type \"\(entry.type)\" registered in code clashes with a built-in type; choose another name")
            }
            factories[entry.type] = entry.factory
        }
    }

    var typeNames: [String] { factories.keys.sorted() }

    func make(_ spec: DecoratorSpec, environment: DecoratorEnvironment) throws(ConfigError) -> any Decorator {
        guard let factory = factories[spec.type] else {
            throw ConfigError(
                field: "\(spec.path).type",
                "unknown decorator type \"\(spec.type)\"; known types: \(typeNames.joined(separator: ", "))")
        }
        do {
            return try factory(DecoratorSettings(path: spec.path, object: spec.settings), environment)
        } catch let error as ConfigError {
            throw error
        } catch {
            throw ConfigError(field: spec.path, "\(error)")
        }
    }
}
