import TrellisCore

/// Runs a decorator in front of a handler that returns 200, with a memory log sink at trace level and
/// a fresh metrics registry, the way the invoker does: thrown errors become responses via
/// `ErrorMapping`.
final class AuthDecoratorTestSupport {
    let sink = MemoryLogSink()
    let metrics = MetricsRegistry()
    static let functionName = "hello"

    func environment(_ variables: [String: String] = [:], functionName: String? = functionName) -> DecoratorEnvironment {
        DecoratorEnvironment(metrics: metrics, environment: variables, logger: Logger(level: .trace, sink: sink), functionName: functionName)
    }

    /// Runs one request; returns the response and the principal the handler saw (nil when it did not run).
    func run(_ decorator: any Decorator, headers: [(String, String)]) async -> (response: Response, principal: Principal?) {
        let context = Context(
            requestID: "req-1", functionName: Self.functionName, deadline: .now + .seconds(5),
            logger: Logger(level: .trace, sink: sink))
        let seen = PrincipalBox()
        let handler = DecoratorChain.compose([decorator]) { _, context in
            seen.principal = context.principal
            return Response.text("ok")
        }
        do {
            return (try await handler(Request(method: "GET", headers: Headers(headers)), context), seen.principal)
        } catch {
            return (ErrorMapping.response(for: error, context: context), seen.principal)
        }
    }

    /// The `error` member of a JSON error body, or nil.
    static func errorCode(_ response: Response) -> String? {
        (try? JSON.parse(response.body))?["error"]?.stringValue
    }

    /// Every log line written so far, as JSON text.
    var logText: String { sink.jsonLines.joined(separator: "\n") }

    private final class PrincipalBox: @unchecked Sendable {
        var principal: Principal?
    }
}
