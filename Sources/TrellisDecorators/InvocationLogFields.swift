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

    /// Writes the members `forEachField` passes with the keys as literals, without a `JSON` value or a
    /// closure call per field.
    func appendJSONMembers(to writer: inout JSONWriter) {
        writer.appendRaw(",\"method\":")
        writer.append(string: method)
        if path.isEmpty {
            writer.appendRaw(",\"path\":\"/\"")
        } else {
            writer.appendRaw(",\"path\":")
            writer.append(string: path)
        }

        writer.appendRaw(",\"status\":")
        writer.append(integer: Int64(status))
        writer.appendRaw(",\"durationMs\":")
        writer.append(real: (durationMilliseconds * 1000).rounded() / 1000)
        writer.appendRaw(",\"bytesIn\":")
        writer.append(integer: Int64(bytesIn))
        writer.appendRaw(",\"bytesOut\":")
        writer.append(integer: Int64(bytesOut))
        writer.appendRaw(",\"client\":")
        writer.append(string: client)

        if let principal {
            writer.appendRaw(",\"principal\":")
            writer.append(string: principal)
        } else {
            writer.appendRaw(",\"principal\":null")
        }
        switch rateLimit {
        case nil: writer.appendRaw(",\"rateLimit\":null")
        case .allowed: writer.appendRaw(",\"rateLimit\":\"allowed\"")
        case .limited: writer.appendRaw(",\"rateLimit\":\"limited\"")
        case .shadowLimited: writer.appendRaw(",\"rateLimit\":\"shadow_limited\"")
        }
        if let errorCode {
            writer.appendRaw(",\"error\":")
            writer.append(string: errorCode)
        }
    }
}
