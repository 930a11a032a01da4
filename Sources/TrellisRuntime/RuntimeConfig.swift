import Glibc
import TrellisCore

/// The runtime config (`runtime/trellis.json`): server settings, logging, chains and per-function
/// overrides. Every field has a default, so `{}` is a valid config.
public struct RuntimeConfig: Sendable {
    public var server = ServerSettings()
    public var logging = LoggingSettings()
    /// Decorator specs wrapped around every function, outermost first, unless a function sets
    /// `inheritDefaults` to false.
    public var defaultDecorators: [DecoratorSpec] = []
    /// Per-function overrides, by function name.
    public var functions: [String: FunctionOverrides] = [:]
    /// The path of the embedded event queue's SQLite database. Default `runtime/data/queue.db`; a
    /// relative path is taken from the working directory.
    public var queuePath = "runtime/data/queue.db"
    /// Receivers `X-Callback-Url` may name, as `host:port`; empty (the default) turns callbacks off.
    public var callbackOrigins: [String] = []
    /// The `triggers` section as written: trigger name to its settings object. The trigger runtime
    /// validates it at startup, since it needs the registered functions.
    public var triggers: [(name: String, settings: [(key: String, value: JSON)])] = []

    public init() {}
}

public struct ServerSettings: Sendable, Equatable {
    /// The address to listen on. Default `127.0.0.1`; use `0.0.0.0` or `::` to accept remote clients.
    public var host = "127.0.0.1"
    /// The TCP port; 0 picks a free port, which is printed at startup. Default 8080.
    public var port = 8080
    /// How long SIGTERM or SIGINT waits for in-flight requests before exiting. Default 10 s.
    public var shutdownGraceSeconds: Double = 10
    /// Event loops the gateway runs, each on its own thread with its own listening socket on the port.
    /// Default `defaultEventLoops` (the online CPU count); range `eventLoopRange`.
    public var eventLoops = ServerSettings.defaultEventLoops
    public var limits = ServerLimits()

    public init() {}

    /// The allowed event loop counts, 1 to 64. Loops beyond the CPU count only add context switches.
    public static let eventLoopRange = 1...64

    /// The number of online CPUs, `sysconf(_SC_NPROCESSORS_ONLN)`, clamped to `eventLoopRange`; 1 when
    /// the count is unavailable.
    public static var defaultEventLoops: Int {
        let online = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        return min(max(online, eventLoopRange.lowerBound), eventLoopRange.upperBound)
    }
}

/// Connection and request limits. Defaults follow common gateway practice.
public struct ServerLimits: Sendable, Equatable {
    /// Longest request line in bytes; longer gets 414. Default 8 KiB.
    public var requestLineBytes = 8 * 1024
    /// Largest header block in bytes; larger gets 431. Default 16 KiB.
    public var headerBytes = 16 * 1024
    /// Most header fields; more gets 431. Default 100.
    public var headerCount = 100
    /// Largest request body in bytes; larger gets 413 before the body is read. Default 1 MiB.
    public var bodyBytes = 1024 * 1024
    /// Time allowed to receive a complete header block, from its first byte; then 408. Default 10 s.
    public var headerTimeoutSeconds: Double = 10
    /// Time allowed to receive the body once the head arrived; then 408. Default 30 s.
    public var bodyTimeoutSeconds: Double = 30
    /// Time an idle keep-alive connection stays open. Default 60 s.
    public var idleTimeoutSeconds: Double = 60
    /// Requests served on one connection before it is closed (`Connection: close`). Default 1000.
    public var requestsPerConnection = 1000
    /// Connections open at once over all event loops; more are accepted and closed at once. Default 10,000.
    public var maxConnections = 10_000
    /// Request body bytes the gateway holds at once, over all its event loops and connections, from the
    /// first body byte until the response is written. A request that would go over gets 503 with `Retry-After: 1`.
    /// It bounds memory: without it, `maxConnections` clients each sending `bodyBytes` slowly could
    /// make the server hold 10 GiB. Default 256 MiB; must be at least `bodyBytes`.
    public var maxBufferedBodyBytes = 256 * 1024 * 1024

    public init() {}
}

public struct LoggingSettings: Sendable, Equatable {
    public var level: LogLevel = .info
    public var format: LogFormat = .auto
    /// The maximum time a log line waits in memory before it is written, in milliseconds, when standard
    /// output is not a terminal; 0 writes each line at once. Default 50: a line reaches a file or a
    /// pipe within a twentieth of a second, and a busy server writes a few hundred lines per `write(2)`.
    public var flushMilliseconds = 50

    public init() {}
}

/// One decorator in a config chain: `{"type": "rateLimit", ...settings}`.
public struct DecoratorSpec: Sendable {
    public var type: String
    public var settings: [(key: String, value: JSON)]
    /// The spec's path in the config, for error messages: `functions.hello.decorators[0]`.
    public var path: String

    public init(type: String, settings: [(key: String, value: JSON)], path: String) {
        self.type = type
        self.settings = settings
        self.path = path
    }
}

/// A function's entry in the config. Unset fields keep the values given in code.
public struct FunctionOverrides: Sendable {
    public var methods: [String]?
    public var timeoutSeconds: Double?
    public var maxConcurrency: Int?
    public var owner: String?
    /// Wrapped around the code's chain, inside the default chain.
    public var decorators: [DecoratorSpec] = []
    /// False drops the default chain for this function. Default true.
    public var inheritDefaults = true

    public init() {}
}
