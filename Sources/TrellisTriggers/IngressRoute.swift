import TrellisCore

/// The handler, name and timeout the gateway runs for one ingress request.
///
/// The handler gets a `Request` whose `path` is the whole target path (for example
/// `/events/github`), not the part after a function name, and a `Context` whose `functionName` is
/// `name`. The route's parameters, such as the trigger name, are best captured by the handler closure
/// when the route is built.
public struct IngressRoute: Sendable {
    /// A short label with a bounded set of values, used in logs and metrics, for example
    /// `events:github` or `async-function:resize`. Never derived from unvalidated input.
    public var name: String
    public var handler: Handler
    /// How long the handler may run before the gateway responds 504 and cancels it.
    public var timeout: Duration

    public init(name: String, timeout: Duration, handler: @escaping Handler) {
        self.name = name
        self.timeout = timeout
        self.handler = handler
    }
}
