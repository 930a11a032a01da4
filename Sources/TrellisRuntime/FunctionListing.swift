import TrellisCore

/// The JSON listing of functions served by `GET /functions` and printed by `trellis functions --json`.
public enum FunctionListing {
    /// Builds an array of `{name, kind, methods, decorators, timeoutSeconds, maxConcurrency, owner,
    /// summary, blocking, inline}`, decorators outermost first: the ordinary functions (kind `http`), then
    /// the batch functions (kind `batch`, `methods` empty, `maxConcurrency` in batches). `inline` is
    /// `ResolvedFunction.runsInline`, always false for batch functions.
    public static func json(_ functions: [ResolvedFunction], batchFunctions: [ResolvedBatchFunction] = []) -> JSON {
        let ordinary = functions.map { function in
            entry(
                name: function.name, kind: "http", methods: function.methods, decorators: function.decoratorNames,
                timeout: function.timeout, maxConcurrency: function.maxConcurrency, owner: function.owner,
                summary: function.summary, blocking: function.blocking, inline: function.runsInline)
        }
        let batch = batchFunctions.map { function in
            entry(
                name: function.name, kind: "batch", methods: [], decorators: function.decoratorNames,
                timeout: function.timeout, maxConcurrency: function.maxConcurrency, owner: function.owner,
                summary: function.summary, blocking: function.blocking, inline: false)
        }
        return .array(ordinary + batch)
    }

    /// The listing of every function `application` serves, batch functions included.
    public static func json(_ application: Application) -> JSON {
        json(application.functions, batchFunctions: application.batchFunctions)
    }

    private static func entry(
        name: String, kind: String, methods: [String], decorators: [String], timeout: Duration, maxConcurrency: Int,
        owner: String?, summary: String?, blocking: Bool, inline: Bool
    ) -> JSON {
        [
            "name": .string(name),
            "kind": .string(kind),
            "methods": .array(methods.map(JSON.string)),
            "decorators": .array(decorators.map(JSON.string)),
            "timeoutSeconds": .double(timeout.seconds),
            "maxConcurrency": .int(Int64(maxConcurrency)),
            "owner": owner.map(JSON.string) ?? .null,
            "summary": summary.map(JSON.string) ?? .null,
            "blocking": .bool(blocking),
            "inline": .bool(inline),
        ]
    }
}
