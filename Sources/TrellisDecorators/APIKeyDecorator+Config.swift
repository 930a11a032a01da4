import TrellisCore

/// The config form:
///
///     {"type": "apiKey", "header": "X-API-Key", "requiredScopes": ["deploy"],
///      "keys": [{"id": "ci", "sha256": "<64 hex digits>", "scopes": ["deploy"]},
///               {"id": "dev", "env": "TRELLIS_DEV_KEY"}]}
///
/// | key | meaning | default |
/// |---|---|---|
/// | `keys` | accepted keys; each has `id`, exactly one of `sha256` (hex digest of the key) and `env` (an environment variable holding the key, read once at startup), and optional `scopes` | required |
/// | `header` | a field read besides `Authorization: Bearer` | none |
/// | `requiredScopes` | scopes a key must have | [] |
/// | `maxKeyBytes` | longest key accepted, 1 to 8192 | 512 |
/// | `realm` | realm of the `WWW-Authenticate` challenge | `trellis` |
/// | `allowTriggers` | trigger names that may call the function without a key, or `"*"` for all | [] |
extension APIKeyDecorator {
    public static let configType = "apiKey"
    public static let maxKeyBytesRange = 1...8192

    public static func make(_ settings: DecoratorSettings, _ environment: DecoratorEnvironment) throws -> any Decorator {
        try makeDecorator(settings, environment)
    }

    /// Builds the decorator from config; the typed-throws form of `make`.
    public static func makeDecorator(_ settings: DecoratorSettings, _ environment: DecoratorEnvironment) throws(ConfigError) -> APIKeyDecorator {
        guard let keysValue = settings.value("keys") else {
            throw ConfigError(field: settings.field("keys"), "is required: list the accepted keys")
        }
        guard let entries = keysValue.arrayValue, !entries.isEmpty else {
            throw ConfigError(field: settings.field("keys"), "must be a non-empty array of key objects, found \(keysValue.serialized())")
        }
        var keys: [APIKey] = []
        for (index, entry) in entries.enumerated() {
            keys.append(try key(entry, path: settings.field("keys[\(index)]"), environment: environment))
        }

        let header = settings.has("header") ? try settings.string("header") : nil
        let requiredScopes = try settings.stringArray("requiredScopes", default: [])
        let maxKeyBytes = try settings.int("maxKeyBytes", in: maxKeyBytesRange, default: defaultMaxKeyBytes)
        let realm = try settings.string("realm", default: "trellis")
        let allowTriggers = try settings.stringArray("allowTriggers", default: [])
        try settings.finish()

        do {
            return try APIKeyDecorator(
                keys: keys, header: header, requiredScopes: requiredScopes, maxKeyBytes: maxKeyBytes, realm: realm,
                allowTriggers: allowTriggers, metrics: environment.metrics, functionName: environment.functionName)
        } catch {
            throw ConfigError(field: settings.field(error.field), error.message)
        }
    }

    /// Reads one entry of `keys`, whose unknown members stop startup like unknown settings do.
    private static func key(_ entry: JSON, path: String, environment: DecoratorEnvironment) throws(ConfigError) -> APIKey {
        guard let members = entry.objectValue else {
            throw ConfigError(field: path, "must be an object with id and sha256 or env, found \(entry.typeName)")
        }
        let settings = DecoratorSettings(path: path, object: members)
        let id = try settings.string("id")
        let scopes = try settings.stringArray("scopes", default: [])
        let source = try AuthDecoratorSettings.exactlyOne(of: ["sha256", "env"], in: settings)
        let field = settings.field(source)
        let setting = try settings.string(source)
        try settings.finish()

        let key: APIKey
        do {
            if source == "sha256" {
                key = try APIKey(id: id, sha256Hex: setting, scopes: scopes, field: field)
            } else {
                let value = try AuthDecoratorSettings.environmentValue(setting, field: field, in: environment.environment)
                key = try APIKey(id: id, key: value, scopes: scopes, field: field)
            }
        } catch {
            guard !error.field.hasPrefix(path) else { throw error }
            throw ConfigError(field: settings.field(error.field), error.message)
        }
        return key
    }
}
