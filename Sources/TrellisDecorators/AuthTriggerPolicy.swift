import TrellisCore

/// The `allowTriggers` setting of an auth decorator: the triggers that may call the function.
///
/// A trigger acts as a principal: the event worker runs each invocation with `context.principal` set
/// to `trigger:<name>` with scheme `trigger`. Such a principal comes only from the worker, which builds
/// its own `Context`. The gateway builds every request's context with no principal, and the auth
/// decorators set only `apiKey` and `jwt` principals, so no header, path or body of an HTTP request
/// can produce a trigger principal.
public struct AuthTriggerPolicy: Sendable, Equatable {
    /// The entry that allows every trigger.
    public static let anyTrigger = "*"
    /// The scheme of a trigger principal.
    public static let scheme = "trigger"
    /// The prefix of a trigger principal's id, before the trigger name.
    public static let idPrefix = "trigger:"
    /// The maximum length of a trigger name, in bytes, as for function names.
    public static let maxNameLength = 64

    /// Trigger names, or `*` for all. Empty (the default) allows no trigger.
    public let allowTriggers: [String]

    /// Throws when an entry is neither `*` nor a trigger name: 1 to 64 letters, digits, `-`, `_` or
    /// `.`, starting with a letter or digit. `field` is the path the error names.
    public init(allowTriggers: [String] = [], field: String = "allowTriggers") throws(ConfigError) {
        for (index, name) in allowTriggers.enumerated() where name != Self.anyTrigger && !Self.isValidName(name) {
            throw ConfigError(
                field: "\(field)[\(index)]",
                "must be \"*\" or a trigger name of 1 to \(Self.maxNameLength) letters, digits, '-', '_' or '.', found \"\(name)\"")
        }
        self.allowTriggers = allowTriggers
    }

    /// True when `principal` has scheme `trigger`: the invocation comes from the event worker.
    public static func isTrigger(_ principal: Principal?) -> Bool {
        principal?.scheme == scheme
    }

    /// Checks that `principal` is a trigger principal whose trigger is allowed, and throws a 403
    /// failure with code `trigger_not_allowed` otherwise. A missing principal or one of another
    /// scheme is not allowed either, since a batch without a trigger principal cannot be attributed.
    public func check(_ principal: Principal?) throws(AuthDecoratorFailure) {
        guard let principal, Self.isTrigger(principal), principal.id.hasPrefix(Self.idPrefix) else {
            throw AuthDecoratorFailure(
                .insufficientScope, code: "trigger_not_allowed", detail: "The invocation has no trigger principal",
                advice: "Batch invocations must come from a trigger.")
        }
        let trigger = String(principal.id.dropFirst(Self.idPrefix.count))
        guard allowTriggers.contains(Self.anyTrigger) || allowTriggers.contains(trigger) else {
            throw AuthDecoratorFailure(
                .insufficientScope, code: "trigger_not_allowed", detail: "The trigger is not allowed to call this function",
                advice: "Add \"\(trigger)\" to the decorator's allowTriggers setting.")
        }
    }

    private static func isValidName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        func isAlphanumeric(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        }
        guard let first = bytes.first, bytes.count <= maxNameLength, isAlphanumeric(first) else { return false }
        return bytes.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") }
    }
}
