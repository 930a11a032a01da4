import Foundation
import TrellisCore

extension TriggerConfig {
    /// The shortest HMAC secret accepted for a signed webhook, in bytes (RFC 2104 suggests at least the
    /// hash output length, 32 bytes for SHA-256).
    public static let minSecretBytes = 32

    /// Reads `triggers.<name>` from the config. Errors name the field, such as
    /// `triggers.uploads.batch.maxItems`. `environment` resolves `secretEnv`.
    public static func parse(
        name: String, settings object: [(key: String, value: JSON)], environment: [String: String]
    ) throws(ConfigError) -> TriggerConfig {
        let settings = DecoratorSettings(path: "triggers.\(name)", object: object)
        if let problem = FunctionRegistry.problem(withName: name) {
            throw ConfigError(field: settings.path, problem.replacingOccurrences(of: "function name", with: "trigger name"))
        }
        let kindName = try settings.choice("kind", ["schedule", "file", "webhook", "queue"], default: "")
        let target = try settings.string("target")
        let kind: Kind
        switch kindName {
        case "schedule": kind = .schedule(try ScheduleSettings(settings))
        case "file": kind = .file(try FileSettings(settings))
        case "webhook": kind = .webhook(try WebhookSettings(settings, environment: environment))
        case "queue": kind = .queue
        default: throw ConfigError(field: settings.field("kind"), "is required: one of schedule, file, webhook, queue")
        }
        var config = TriggerConfig(name: name, kind: kind, target: target)
        if let batch = try settings.section("batch") { config.batch = try BatchSettings(batch) }
        if let retry = try settings.section("retry") { config.retry = try RetrySettings(retry) }
        try settings.finish()
        return config
    }
}

extension DecoratorSettings {
    /// Reads a duration given in seconds, rounded to milliseconds.
    func duration(_ key: String, in range: ClosedRange<Double>, default fallback: Duration) throws(ConfigError) -> Duration {
        guard has(key) else { return fallback }
        return .milliseconds(Int64((try double(key, in: range) * 1000).rounded()))
    }
}

extension BatchSettings {
    init(_ settings: DecoratorSettings) throws(ConfigError) {
        self.init()
        maxItems = try settings.int("maxItems", in: 1...10_000, default: maxItems)
        maxWait = try settings.duration("maxWaitSeconds", in: 0...3600, default: maxWait)
        maxBytes = try settings.int("maxBytes", in: 1...(64 * 1024 * 1024), default: maxBytes)
        concurrency = try settings.int("concurrency", in: 1...64, default: concurrency)
        try settings.finish()
    }
}

extension RetrySettings {
    init(_ settings: DecoratorSettings) throws(ConfigError) {
        self.init()
        maxAttempts = try settings.int("maxAttempts", in: 1...100, default: maxAttempts)
        baseDelay = try settings.duration("baseDelaySeconds", in: 0.001...3600, default: baseDelay)
        maxDelay = try settings.duration("maxDelaySeconds", in: 0.001...86_400, default: maxDelay)
        guard maxDelay >= baseDelay else {
            throw ConfigError(field: settings.field("maxDelaySeconds"), "must be at least baseDelaySeconds")
        }
        try settings.finish()
    }
}

extension ScheduleSettings {
    init(_ settings: DecoratorSettings) throws(ConfigError) {
        let timing: Timing
        switch (settings.has("cron"), settings.has("everySeconds")) {
        case (true, false):
            let expression = try settings.string("cron")
            timing = .cron(expression)
        case (false, true):
            timing = .every(try settings.duration("everySeconds", in: 0.05...31_536_000, default: .seconds(60)))
        default:
            throw ConfigError(field: settings.field("cron"), "set exactly one of cron (\"*/5 * * * *\") and everySeconds")
        }
        self.init(timing: timing)
        timeZone = try settings.string("timeZone", default: timeZone)
        guard TimeZone(identifier: timeZone) != nil else {
            throw ConfigError(field: settings.field("timeZone"), "\"\(timeZone)\" is not a known IANA time zone such as Europe/Berlin")
        }
        misfire = Misfire(rawValue: try settings.choice("misfire", ["skip", "fireOnce"], default: misfire.rawValue)) ?? .skip
        if let value = settings.value("data") { data = Array(value.serialized().utf8) }
        // Parses the cron expression and checks the interval, naming `triggers.<name>.cron` on error.
        _ = try SchedulePlan(settings: self, path: settings.path)
    }
}

extension FileSettings {
    init(_ settings: DecoratorSettings) throws(ConfigError) {
        self.init(path: try settings.string("path"))
        guard !path.isEmpty else { throw ConfigError(field: settings.field("path"), "must not be empty") }
        pattern = try settings.string("pattern", default: pattern)
        guard !pattern.isEmpty, !pattern.contains("/") else {
            throw ConfigError(field: settings.field("pattern"), "must be a file-name glob without '/', such as *.csv")
        }
        split = Split(rawValue: try settings.choice("split", ["none", "lines", "csv", "ndjson"], default: split.rawValue)) ?? .none
        stableFor = try settings.duration("stableSeconds", in: 0...3600, default: stableFor)
        rescanEvery = try settings.duration("rescanSeconds", in: 0.05...3600, default: rescanEvery)
        maxFileBytes = try settings.int("maxFileBytes", in: 1...(4 * 1024 * 1024 * 1024), default: maxFileBytes)
    }
}

extension WebhookSettings {
    init(_ settings: DecoratorSettings, environment: [String: String]) throws(ConfigError) {
        self.init()
        idempotencyWindow = try settings.duration("idempotencyWindowSeconds", in: 1...2_592_000, default: idempotencyWindow)
        maxBodyBytes = try settings.int("maxBodyBytes", in: 1...(64 * 1024 * 1024), default: maxBodyBytes)
        maxEvents = try settings.int("maxEvents", in: 1...100_000, default: maxEvents)
        guard let section = try settings.section("signature") else { return }
        let scheme = try section.choice("scheme", ["hub", "timestamped"], default: "hub")
        let secret: [UInt8]
        switch (section.has("secret"), section.has("secretEnv")) {
        case (true, false):
            secret = Array(try section.string("secret").utf8)
        case (false, true):
            let variable = try section.string("secretEnv")
            guard let value = environment[variable], !value.isEmpty else {
                throw ConfigError(field: section.field("secretEnv"), "environment variable \(variable) is not set or empty")
            }
            secret = Array(value.utf8)
        default:
            throw ConfigError(field: section.field("secret"), "set exactly one of secret and secretEnv")
        }
        guard secret.count >= TriggerConfig.minSecretBytes else {
            throw ConfigError(
                field: section.field(section.has("secret") ? "secret" : "secretEnv"),
                "the secret must be at least \(TriggerConfig.minSecretBytes) bytes, found \(secret.count)")
        }
        if scheme == "hub" {
            signature = .hubSignature(secret: secret)
        } else {
            let header = try section.string("header", default: "Webhook-Signature")
            let tolerance = try section.duration("toleranceSeconds", in: 1...86_400, default: .seconds(300))
            signature = .timestamped(secret: secret, header: header, tolerance: tolerance)
        }
        try section.finish()
    }
}
