import TrellisCore

/// Writes one structured line per invocation after it ends: request id, function, method, path, status,
/// duration, bytes in and out, principal and rate-limit outcome, plus the error code when one was thrown.
///
/// Put it first in a chain so that it sees everything, early answers from auth and rate limiting
/// included. It logs no header fields and no query string, since both often carry credentials
/// (`Authorization`, cookies, `?api_key=`); the path after the function name is logged as sent.
/// The status it logs is the one the client gets: `ErrorMapping` decides both.
public struct LoggingDecorator: InlineDecorator {
    public let name = "logging"
    /// The level of the per-invocation line; 5xx lines are raised to `error`, 4xx to at least `warning`
    /// only when `escalate` is true.
    public var level: LogLevel
    public var escalate: Bool

    public init(level: LogLevel = .info, escalate: Bool = true) {
        self.level = level
        self.escalate = escalate
    }

    public func before(_ request: Request, context: Context) -> InlineDecoratorStep<ContinuousClock.Instant> {
        .proceed(.now)
    }

    /// Writes the line for the response the rest of the chain returned, and returns it unchanged.
    public func after(
        _ response: consuming Response, passage start: ContinuousClock.Instant, request: Request, context: Context
    ) -> Response {
        let status = context.isTimedOut ? 504 : response.status
        write(request, context, start: start, status: status, bytesOut: response.body.count, errorCode: nil)
        return response
    }

    /// Writes the line for the error the rest of the chain threw, with the status it maps to, and rethrows it.
    public func afterError(
        _ error: any Error, passage start: ContinuousClock.Instant, request: Request, context: Context
    ) throws -> Response {
        let rendered = ErrorMapping.response(for: error, context: context)
        let code = context.isTimedOut ? "timeout" : (error as? HTTPError)?.code ?? "internal_error"
        write(request, context, start: start, status: rendered.status, bytesOut: rendered.body.count, errorCode: code)
        throw error
    }

    private func write(
        _ request: Request, _ context: Context, start: ContinuousClock.Instant, status: Int, bytesOut: Int,
        errorCode: String?
    ) {
        var lineLevel = level
        if escalate {
            if status >= 500 { lineLevel = max(lineLevel, .error) } else if status >= 400 { lineLevel = max(lineLevel, .warning) }
        }
        let elapsed = ContinuousClock.now - start
        let (seconds, attoseconds) = elapsed.components
        let milliseconds = Double(seconds) * 1000 + Double(attoseconds) / 1e15
        let fields = InvocationLogFields(
            method: request.method, path: request.path, status: status, durationMilliseconds: milliseconds,
            bytesIn: request.body.count, bytesOut: bytesOut, client: request.clientAddress, principal: context.principal?.id,
            rateLimit: context.rateLimitOutcome, errorCode: errorCode)
        context.logger.log(lineLevel, "invocation", fields: fields)
    }
}

extension LoggingDecorator {
    public static let configType = "logging"

    /// Builds the decorator from `{"type": "logging", "level": "info", "escalate": true}`.
    public static func make(_ settings: DecoratorSettings, _ environment: DecoratorEnvironment) throws -> any Decorator {
        let levelName = try settings.choice("level", LogLevel.allCases.map(\.name), default: "info")
        let escalate = try settings.bool("escalate", default: true)
        try settings.finish()
        return LoggingDecorator(level: LogLevel(name: levelName) ?? .info, escalate: escalate)
    }
}
