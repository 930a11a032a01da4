import TrellisCore

extension RateLimitDecorator {
    /// The `type` of a rate-limit decorator in the runtime config.
    public static let configType = "rateLimit"

    /// The accepted values of the `key` setting.
    public static let keyChoices = ["client", "principal", "header", "function"]

    /// Builds a decorator from its config settings:
    ///
    ///     {"type": "rateLimit", "key": "header", "header": "X-Tenant-Id",
    ///      "capacity": 20, "refillPerSecond": 5, "cost": 1, "shadow": false,
    ///      "maxKeys": 100000, "policyName": "tenant"}
    ///
    /// `capacity` (tokens) and `refillPerSecond` (tokens per second) are required. `key` is one of
    /// `keyChoices` (default `client`); `header` is required with `key: "header"` and rejected otherwise.
    /// `cost` defaults to 1, `shadow` to false, `maxKeys` to `KeyedBuckets.defaultMaxKeys`, `policyName`
    /// to the key's label. Unknown settings are rejected. Every error is a `ConfigError` naming the field.
    public static func make(_ settings: DecoratorSettings, _ environment: DecoratorEnvironment) throws -> any Decorator {
        let keyChoice = try settings.choice("key", keyChoices, default: "client")
        let key: RateLimitKey
        switch keyChoice {
        case "header":
            key = .header(try settings.string("header"))
        default:
            if settings.has("header") {
                throw ConfigError(field: settings.field("header"), "is only used with key \"header\", but key is \"\(keyChoice)\"")
            }
            switch keyChoice {
            case "principal": key = .principal
            case "function": key = .function
            default: key = .client
            }
        }
        let capacity = try settings.int("capacity", in: 1...maxCapacity)
        let refillPerSecond = try settings.double("refillPerSecond", in: refillPerSecondRange)
        let cost = try settings.int("cost", in: 1...capacity, default: 1)
        let shadow = try settings.bool("shadow", default: false)
        let maxKeys = try settings.int("maxKeys", in: maxKeysRange, default: KeyedBuckets.defaultMaxKeys)
        let policyName = settings.has("policyName") ? try settings.string("policyName") : nil
        try settings.finish()

        return try RateLimitDecorator(
            key: key, capacity: capacity, refillPerSecond: refillPerSecond, cost: cost, shadow: shadow, maxKeys: maxKeys,
            policyName: policyName, metrics: environment.metrics, functionName: environment.functionName,
            fieldPath: settings.path)
    }
}
