import Foundation
import Glibc
import TrellisCore

extension RuntimeConfig {
    /// Reads and validates a config file. Errors name the file, the field and the value.
    public static func load(path: String) throws(ConfigError) -> RuntimeConfig {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ConfigError(field: "", "the config file does not exist")
        }
        guard !isDirectory.boolValue else {
            throw ConfigError(field: "", "is a directory; name the config file, such as runtime/trellis.json")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(field: "", "the config file is not readable")
        }
        return try parse(Array(data))
    }

    /// Parses and validates config JSON text. Unknown keys are errors, so a misspelt setting stops
    /// startup instead of being ignored.
    public static func parse(_ bytes: [UInt8]) throws(ConfigError) -> RuntimeConfig {
        let root: JSON
        do {
            root = try JSON.parse(bytes)
        } catch {
            throw ConfigError(field: "", error.description)
        }
        guard let members = root.objectValue else {
            throw ConfigError(field: "", "the config must be a JSON object, found \(root.typeName)")
        }
        var config = RuntimeConfig()
        let top = DecoratorSettings(path: "", object: members)
        if let server = try top.section("server") { config.server = try ServerSettings(server) }
        if let logging = try top.section("logging") { config.logging = try LoggingSettings(logging) }
        if let defaults = try top.section("defaults") {
            config.defaultDecorators = try defaults.decoratorSpecs("decorators")
            try defaults.finish()
        }
        if let functions = try top.section("functions") {
            for (name, value) in functions.object {
                let path = functions.field(name)
                if let problem = FunctionRegistry.problem(withName: name) {
                    throw ConfigError(field: path, problem)
                }
                guard let object = value.objectValue else {
                    throw ConfigError(field: path, "must be an object, found \(value.typeName)")
                }
                config.functions[name] = try FunctionOverrides(DecoratorSettings(path: path, object: object))
            }
        }
        if let queue = try top.section("queue") {
            config.queuePath = try queue.string("path", default: config.queuePath)
            guard !config.queuePath.isEmpty else { throw ConfigError(field: queue.field("path"), "must not be empty") }
            try queue.finish()
        }
        if let async = try top.section("async") {
            config.callbackOrigins = try async.stringArray("callbackOrigins", default: [])
            for (index, origin) in config.callbackOrigins.enumerated() {
                guard let colon = origin.lastIndex(of: ":"), let port = Int(origin[origin.index(after: colon)...]),
                    (1...65_535).contains(port), colon != origin.startIndex
                else {
                    throw ConfigError(
                        field: "\(async.field("callbackOrigins"))[\(index)]",
                        "must be host:port, such as 127.0.0.1:9000 or [::1]:9000, found \"\(origin)\"")
                }
            }
            config.callbackOrigins = config.callbackOrigins.map { $0.lowercased() }
            try async.finish()
        }
        if let triggers = try top.section("triggers") {
            for (name, value) in triggers.object {
                guard let object = value.objectValue else {
                    throw ConfigError(field: triggers.field(name), "must be an object, found \(value.typeName)")
                }
                config.triggers.append((name: name, settings: object))
            }
        }
        try top.finish()
        return config
    }
}

extension DecoratorSettings {
    /// An array of `{"type": ..., ...}` decorator specs at `key`, empty when absent.
    func decoratorSpecs(_ key: String) throws(ConfigError) -> [DecoratorSpec] {
        guard let value = value(key) else { return [] }
        guard let array = value.arrayValue else {
            throw ConfigError(field: field(key), "must be an array of decorator objects, found \(value.typeName)")
        }
        var specs: [DecoratorSpec] = []
        for (index, element) in array.enumerated() {
            let path = "\(field(key))[\(index)]"
            guard let object = element.objectValue else {
                throw ConfigError(field: path, "must be an object such as {\"type\": \"logging\"}, found \(element.typeName)")
            }
            guard let type = object.first(where: { $0.key == "type" })?.value.stringValue, !type.isEmpty else {
                throw ConfigError(field: "\(path).type", "is required: name the decorator type, such as \"rateLimit\"")
            }
            specs.append(DecoratorSpec(type: type, settings: object, path: path))
        }
        return specs
    }

    func seconds(_ key: String, default fallback: Double) throws(ConfigError) -> Double {
        try double(key, in: 0.001...86_400, default: fallback)
    }
}

extension ServerSettings {
    init(_ settings: DecoratorSettings) throws(ConfigError) {
        self.init()
        host = try settings.string("host", default: host)
        guard Self.isIPLiteral(host) else {
            throw ConfigError(
                field: settings.field("host"),
                "must be an IPv4 or IPv6 address such as 127.0.0.1, 0.0.0.0, ::1 or ::, found \"\(host)\"; host names are not resolved")
        }
        port = try settings.int("port", in: 0...65_535, default: port)
        shutdownGraceSeconds = try settings.double("shutdownGraceSeconds", in: 0...3600, default: shutdownGraceSeconds)
        eventLoops = try settings.int("eventLoops", in: Self.eventLoopRange, default: eventLoops)
        if let section = try settings.section("limits") { limits = try ServerLimits(section) }
        try settings.finish()
    }
}

extension ServerLimits {
    init(_ settings: DecoratorSettings) throws(ConfigError) {
        self.init()
        requestLineBytes = try settings.int("requestLineBytes", in: 256...1_048_576, default: requestLineBytes)
        headerBytes = try settings.int("headerBytes", in: 1024...1_048_576, default: headerBytes)
        headerCount = try settings.int("headerCount", in: 8...10_000, default: headerCount)
        bodyBytes = try settings.int("bodyBytes", in: 0...1_073_741_824, default: bodyBytes)
        headerTimeoutSeconds = try settings.seconds("headerTimeoutSeconds", default: headerTimeoutSeconds)
        bodyTimeoutSeconds = try settings.seconds("bodyTimeoutSeconds", default: bodyTimeoutSeconds)
        idleTimeoutSeconds = try settings.seconds("idleTimeoutSeconds", default: idleTimeoutSeconds)
        requestsPerConnection = try settings.int("requestsPerConnection", in: 1...1_000_000, default: requestsPerConnection)
        maxConnections = try settings.int("maxConnections", in: 1...1_000_000, default: maxConnections)
        maxBufferedBodyBytes = try settings.int(
            "maxBufferedBodyBytes", in: 1024...68_719_476_736, default: maxBufferedBodyBytes)
        guard maxBufferedBodyBytes >= bodyBytes else {
            throw ConfigError(
                field: settings.field("maxBufferedBodyBytes"),
                "must be at least bodyBytes (\(bodyBytes)), found \(maxBufferedBodyBytes); a request of the maximum size could never be accepted")
        }
        try settings.finish()
    }
}

extension ServerSettings {
    /// True for a numeric IPv4 or IPv6 address without a zone, the forms the gateway can bind.
    public static func isIPLiteral(_ host: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }
}

extension LoggingSettings {
    /// 0 writes each line at once; 10 s bounds how stale a log may be and what a crash can lose.
    public static let flushMillisecondsRange = 0...10_000

    init(_ settings: DecoratorSettings) throws(ConfigError) {
        self.init()
        let levelName = try settings.choice("level", LogLevel.allCases.map(\.name), default: level.name)
        level = LogLevel(name: levelName) ?? .info
        let formatName = try settings.choice("format", ["auto", "json", "text"], default: format.rawValue)
        format = LogFormat(rawValue: formatName) ?? .auto
        flushMilliseconds = try settings.int("flushMilliseconds", in: Self.flushMillisecondsRange, default: flushMilliseconds)
        try settings.finish()
    }
}

extension FunctionOverrides {
    init(_ settings: DecoratorSettings) throws(ConfigError) {
        self.init()
        if settings.has("methods") {
            let methods = try settings.stringArray("methods", default: [])
            guard !methods.isEmpty else { throw ConfigError(field: settings.field("methods"), "must not be empty") }
            for method in methods where !FunctionRegistry.isValidMethod(method) {
                throw ConfigError(field: settings.field("methods"), "\"\(method)\" is not an upper-case method token such as POST")
            }
            self.methods = methods
        }
        if settings.has("timeoutSeconds") { timeoutSeconds = try settings.double("timeoutSeconds", in: 0.001...86_400) }
        if settings.has("maxConcurrency") { maxConcurrency = try settings.int("maxConcurrency", in: 1...1_000_000) }
        if settings.has("owner") { owner = try settings.string("owner") }
        inheritDefaults = try settings.bool("inheritDefaults", default: true)
        decorators = try settings.decoratorSpecs("decorators")
        try settings.finish()
    }
}
