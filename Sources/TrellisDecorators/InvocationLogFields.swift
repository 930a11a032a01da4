import TrellisCore

/// The fields of `LoggingDecorator`'s per-invocation line, in the order they are written. Handed to the
/// logger as `LogFields`, so the line is written without an array of fields.
struct InvocationLogFields: LogFields {
    var method: String
    /// The path after the function name; empty is logged as `/`.
    var path: String
    var status: Int
    /// Rounded to microseconds when written.
    var durationMilliseconds: Double
    var bytesIn: Int
    var bytesOut: Int
    var client: String
    var principal: String?
    var rateLimit: RateLimitOutcome?
    /// The `HTTPError` code, `timeout` or `internal_error`; nil when the handler returned.
    var errorCode: String?

    /// The keys below as literals, checked for repeats once instead of on every line.
    static let fieldKeys: LogFieldKeys? = LogFieldKeys([
        "method", "path", "status", "durationMs", "bytesIn", "bytesOut", "client", "principal", "rateLimit", "error",
    ])

    func forEachField(_ body: (String, JSON) -> Void) {
        body("method", .string(method))
        body("path", .string(path.isEmpty ? "/" : path))
        body("status", .int(Int64(status)))
        body("durationMs", .double((durationMilliseconds * 1000).rounded() / 1000))
        body("bytesIn", .int(Int64(bytesIn)))
        body("bytesOut", .int(Int64(bytesOut)))
        body("client", .string(client))
        body("principal", principal.map { .string($0) } ?? .null)
        body("rateLimit", rateLimit.map { .string($0.rawValue) } ?? .null)
        if let errorCode { body("error", .string(errorCode)) }
    }
}
