import Foundation
import TrellisCore

/// Startup checks and secret loading shared by the API-key and JWT decorators. Every error names the
/// field and, for environment variables and files, the variable or path, but never a secret's value.
enum AuthDecoratorSettings {
    /// The largest key or secret file read, in bytes: 64 KiB, far more than any PEM public key needs.
    static let maxSecretFileBytes = 64 * 1024

    static func checkRealm(_ realm: String, field: String) throws(ConfigError) {
        guard !realm.isEmpty, AuthDecoratorFailure.isQuotable(realm) else {
            throw ConfigError(field: field, "must be non-empty printable ASCII without quotes or backslashes, found \"\(realm)\"")
        }
    }

    /// Checks that each scope is a `scope-token` of RFC 6749, section 3.3: printable ASCII without
    /// spaces, quotes or backslashes.
    static func checkScopes(_ scopes: [String], field: String) throws(ConfigError) {
        for (index, scope) in scopes.enumerated() {
            guard !scope.isEmpty, AuthDecoratorFailure.isQuotable(scope), !scope.contains(" ") else {
                throw ConfigError(
                    field: "\(field)[\(index)]", "must be a scope without spaces, quotes or backslashes, found \"\(scope)\"")
            }
        }
    }

    /// Returns the value of the environment variable `name`. Throws when it is unset or empty.
    static func environmentValue(_ name: String, field: String, in environment: [String: String]) throws(ConfigError) -> String {
        guard !name.isEmpty else { throw ConfigError(field: field, "must name an environment variable") }
        guard let value = environment[name], !value.isEmpty else {
            throw ConfigError(field: field, "environment variable \(name) is not set or is empty; set it before starting trellis")
        }
        return value
    }

    /// Returns the bytes of the file at `path`. Throws when it cannot be read, is empty, or is larger
    /// than `maxSecretFileBytes`.
    static func fileContents(_ path: String, field: String) throws(ConfigError) -> [UInt8] {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw ConfigError(field: field, "\"\(path)\" is a directory; name the key or secret file inside it")
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ConfigError(field: field, "cannot open file \"\(path)\"; check that it exists and is readable")
        }
        defer { try? handle.close() }
        let data: Data?
        do {
            data = try handle.read(upToCount: maxSecretFileBytes + 1)
        } catch {
            throw ConfigError(field: field, "failed to read file \"\(path)\": \(error.localizedDescription)")
        }
        let bytes = data.map { Array($0) } ?? []
        guard !bytes.isEmpty else { throw ConfigError(field: field, "file \"\(path)\" is empty") }
        guard bytes.count <= maxSecretFileBytes else {
            throw ConfigError(field: field, "file \"\(path)\" is larger than \(maxSecretFileBytes) bytes")
        }
        return bytes
    }

    /// Returns `bytes` without one trailing line ending (`\n` or `\r\n`), which editors and `echo` add
    /// to secret files.
    static func removingTrailingNewline(_ bytes: [UInt8]) -> [UInt8] {
        var bytes = bytes
        if bytes.last == UInt8(ascii: "\n") { bytes.removeLast() }
        if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        return bytes
    }

    /// Returns which of `keys` are set. Throws unless exactly one is, naming all of them.
    static func exactlyOne(of keys: [String], in settings: DecoratorSettings) throws(ConfigError) -> String {
        let present = keys.filter { settings.has($0) }
        guard present.count == 1 else {
            let choices = keys.joined(separator: ", ")
            let problem = present.isEmpty ? "none is set" : "\(present.joined(separator: " and ")) are all set"
            throw ConfigError(field: settings.field(present.last ?? keys[0]), "set exactly one of \(choices), but \(problem)")
        }
        return present[0]
    }
}
