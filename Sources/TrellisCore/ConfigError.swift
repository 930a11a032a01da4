/// A configuration problem found at startup. `field` is a path such as
/// `functions.hello.decorators[1].capacity`; the message names the value and what is allowed.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    public var field: String
    public var message: String

    public init(field: String, _ message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { field.isEmpty ? message : "\(field): \(message)" }
}

/// One object of the config (a decorator's settings, a server section), with typed accessors that throw a `ConfigError`
/// naming the field. Every key must be read: `finish()` rejects keys nothing asked for, so a misspelt
/// option stops startup instead of being ignored.
public final class DecoratorSettings {
    public let path: String
    public let object: [(key: String, value: JSON)]
    private var readKeys: Set<String> = ["type"]

    public init(path: String, object: [(key: String, value: JSON)]) {
        self.path = path
        self.object = object
    }

    public func field(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    public func has(_ key: String) -> Bool {
        readKeys.insert(key)
        return object.contains { $0.key == key }
    }

    public func value(_ key: String) -> JSON? {
        readKeys.insert(key)
        return object.first { $0.key == key }?.value
    }

    public func string(_ key: String) throws(ConfigError) -> String {
        guard let value = value(key) else { throw ConfigError(field: field(key), "is required") }
        guard let text = value.stringValue else {
            throw ConfigError(field: field(key), "must be a string, found \(value.typeName)")
        }
        return text
    }

    public func string(_ key: String, default fallback: String) throws(ConfigError) -> String {
        has(key) ? try string(key) : fallback
    }

    /// A string that must be one of `allowed`.
    public func choice(_ key: String, _ allowed: [String], default fallback: String) throws(ConfigError) -> String {
        let text = try string(key, default: fallback)
        guard allowed.contains(text) else {
            throw ConfigError(field: field(key), "must be one of \(allowed.joined(separator: ", ")), found \"\(text)\"")
        }
        return text
    }

    public func double(_ key: String, in range: ClosedRange<Double>) throws(ConfigError) -> Double {
        guard let value = value(key) else { throw ConfigError(field: field(key), "is required") }
        guard let number = value.doubleValue, number.isFinite else {
            throw ConfigError(field: field(key), "must be a number, found \(value.typeName)")
        }
        guard range.contains(number) else {
            throw ConfigError(field: field(key), "must be between \(range.lowerBound) and \(range.upperBound), found \(number)")
        }
        return number
    }

    public func double(_ key: String, in range: ClosedRange<Double>, default fallback: Double) throws(ConfigError) -> Double {
        has(key) ? try double(key, in: range) : fallback
    }

    public func int(_ key: String, in range: ClosedRange<Int>) throws(ConfigError) -> Int {
        guard let value = value(key) else { throw ConfigError(field: field(key), "is required") }
        guard let number = value.intValue, let int = Int(exactly: number) else {
            throw ConfigError(field: field(key), "must be a whole number, found \(value.serialized())")
        }
        guard range.contains(int) else {
            throw ConfigError(field: field(key), "must be between \(range.lowerBound) and \(range.upperBound), found \(int)")
        }
        return int
    }

    public func int(_ key: String, in range: ClosedRange<Int>, default fallback: Int) throws(ConfigError) -> Int {
        has(key) ? try int(key, in: range) : fallback
    }

    public func bool(_ key: String, default fallback: Bool) throws(ConfigError) -> Bool {
        guard let value = value(key) else { return fallback }
        guard let flag = value.boolValue else {
            throw ConfigError(field: field(key), "must be true or false, found \(value.typeName)")
        }
        return flag
    }

    public func stringArray(_ key: String, default fallback: [String]) throws(ConfigError) -> [String] {
        guard let value = value(key) else { return fallback }
        guard let array = value.arrayValue else {
            throw ConfigError(field: field(key), "must be an array of strings, found \(value.typeName)")
        }
        var strings: [String] = []
        for (index, element) in array.enumerated() {
            guard let text = element.stringValue else {
                throw ConfigError(field: "\(field(key))[\(index)]", "must be a string, found \(element.typeName)")
            }
            strings.append(text)
        }
        return strings
    }

    /// Returns the nested object at `key` as settings whose path extends this one, or nil when absent.
    public func section(_ key: String) throws(ConfigError) -> DecoratorSettings? {
        guard let value = value(key) else { return nil }
        guard let object = value.objectValue else {
            throw ConfigError(field: field(key), "must be an object, found \(value.typeName)")
        }
        return DecoratorSettings(path: field(key), object: object)
    }

    /// Throws for the first key that no accessor read.
    public func finish() throws(ConfigError) {
        if let unknown = object.first(where: { !readKeys.contains($0.key) }) {
            throw ConfigError(field: field(unknown.key), "is not a known setting; check its spelling")
        }
    }
}

/// Builds a decorator from its config settings. Register one under a type name with
/// `FunctionRegistry.registerDecorator(_:factory:)` to make your own decorator usable from the config.
public typealias DecoratorFactory = @Sendable (DecoratorSettings, DecoratorEnvironment) throws -> any Decorator

/// The inputs a decorator factory may use besides its settings: the shared metrics registry, the process
/// environment (for secrets given as environment variable names) and the root logger.
public struct DecoratorEnvironment: Sendable {
    public var metrics: MetricsRegistry
    public var environment: [String: String]
    public var logger: Logger
    /// The function the decorator is built for, or nil for a chain shared by all functions.
    public var functionName: String?

    public init(metrics: MetricsRegistry, environment: [String: String], logger: Logger, functionName: String? = nil) {
        self.metrics = metrics
        self.environment = environment
        self.logger = logger
        self.functionName = functionName
    }
}
