import TrellisCore

/// A user-written decorator: adds `Server-Timing: handler;dur=<milliseconds>` to every response it
/// passes. It is attached to `stats` in code and named in the config as `{"type": "serverTiming"}`.
struct ServerTimingDecorator: Decorator {
    static let configType = "serverTiming"
    var metricName = "handler"
    var name: String { "serverTiming" }

    func handle(_ request: Request, context: Context, next: Handler) async throws -> Response {
        let start = ContinuousClock.now
        var response = try await next(request, context)
        let (seconds, attoseconds) = (ContinuousClock.now - start).components
        let milliseconds = Double(seconds) * 1000 + Double(attoseconds) / 1e15
        let rounded = (milliseconds * 1000).rounded() / 1000
        response.headers.add("Server-Timing", "\(metricName);dur=\(rounded)")
        return response
    }

    /// Builds the decorator from `{"type": "serverTiming", "metric": "handler"}`.
    @Sendable static func make(_ settings: DecoratorSettings, _ environment: DecoratorEnvironment) throws -> any Decorator {
        var decorator = ServerTimingDecorator()
        decorator.metricName = try settings.string("metric", default: decorator.metricName)
        guard decorator.metricName.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ";") && $0 != UInt8(ascii: ",") }),
            !decorator.metricName.isEmpty
        else {
            throw ConfigError(field: settings.field("metric"), "must be a token without spaces, ';' or ','")
        }
        try settings.finish()
        return decorator
    }
}
