/// Settings of the HTTP event ingress that are not per trigger: the `/events/…` and
/// `/async-function/…` endpoints.
public struct IngressSettings: Sendable, Equatable {
    /// How long one ingress request may run, enqueue included, before the gateway responds 504. Default 10 s.
    public var requestTimeout: Duration = .seconds(10)
    /// The receivers an `X-Callback-Url` may name, as `host:port` (`127.0.0.1:9000`, `[::1]:9000`,
    /// `localhost:9000`), host lower-cased. Host and port both count: a loopback host alone would let
    /// any caller make the server POST chosen bytes to every local service. Default: none, so callbacks
    /// are off until the config's `async.callbackOrigins` lists receivers.
    public var callbackOrigins: Set<String> = []
    /// How long an `Idempotency-Key` of an async call is remembered. Default 24 h.
    public var asyncIdempotencyWindow: Duration = .seconds(86_400)
    /// The largest async call body, in bytes; larger gets 413. Default 1 MiB.
    public var asyncMaxBodyBytes = 1024 * 1024
    /// Client addresses allowed to read dead letters through `GET /events/{trigger}/dlq`, because dead
    /// letters hold event data that the senders, not the readers, supplied. Default: the loopback
    /// addresses `127.0.0.1` and `::1`. Behind a reverse proxy on the same host every client is loopback.
    public var deadLetterReaders: Set<String> = ["127.0.0.1", "::1"]

    /// The default and the maximum `limit` of a dead-letter listing.
    public static let defaultDeadLetterLimit = 100
    public static let maxDeadLetterLimit = 1000

    public init() {}
}
