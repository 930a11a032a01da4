import TrellisCore

/// The JSON listing of functions served by `GET /functions` and printed by `trellis functions --json`.
public enum FunctionListing {
    /// Builds an array of `{name, methods, decorators, timeoutSeconds, maxConcurrency, owner, summary,
    /// blocking}`, decorators outermost first.
    public static func json(_ functions: [ResolvedFunction]) -> JSON {
        .array(
            functions.map { function in
                [
                    "name": .string(function.name),
                    "methods": .array(function.methods.map(JSON.string)),
                    "decorators": .array(function.decoratorNames.map(JSON.string)),
                    "timeoutSeconds": .double(function.timeout.seconds),
                    "maxConcurrency": .int(Int64(function.maxConcurrency)),
                    "owner": function.owner.map(JSON.string) ?? .null,
                    "summary": function.summary.map(JSON.string) ?? .null,
                    "blocking": .bool(function.blocking),
                ]
            })
    }
}
