import Synchronization
import TrellisCore

/// The gateway's metric series, looked up once at startup and shared by every loop.
final class GatewayMetrics: Sendable {
    let openConnections: Gauge
    let connectionsTotal: Counter
    /// Connections closed at once because `maxConnections` were open.
    let connectionsRejected: Counter
    /// Request body bytes held now, over every loop.
    let bufferedBodyBytes: Gauge
    private let registry: MetricsRegistry
    private let builtinRequests: [BuiltinEndpoint: Counter]
    private let errorsByStatus = Mutex<[Int: Counter]>([:])

    init(registry: MetricsRegistry) {
        self.registry = registry
        openConnections = registry.gauge("trellis_open_connections", help: "Client connections open now.")
        connectionsTotal = registry.counter("trellis_connections_total", help: "Client connections accepted.")
        connectionsRejected = registry.counter(
            "trellis_connections_rejected_total", help: "Connections closed at once because the connection limit was reached.")
        bufferedBodyBytes = registry.gauge(
            "trellis_buffered_body_bytes", help: "Request body bytes held in memory now, from the first byte until the response.")
        var counters: [BuiltinEndpoint: Counter] = [:]
        for endpoint in BuiltinEndpoint.allCases {
            counters[endpoint] = registry.counter(
                "trellis_requests_total", help: "Requests to the gateway's built-in endpoints.",
                labels: ["route": endpoint.rawValue])
        }
        builtinRequests = counters
    }

    /// The counter of connections accepted by the loop at `index`. Operators see from it how evenly
    /// the kernel spreads connections over the loops' `SO_REUSEPORT` sockets.
    func loopConnections(_ index: Int) -> Counter {
        registry.counter(
            "trellis_loop_connections_total", help: "Client connections accepted, by event loop.",
            labels: ["loop": String(index)])
    }

    func recordBuiltinRequest(_ endpoint: BuiltinEndpoint) {
        builtinRequests[endpoint]?.increment()
    }

    /// Counts a request the gateway rejected before any function ran: a parse error or a read timeout.
    func recordHTTPError(status: Int) {
        let counter = errorsByStatus.withLock { counters in
            if let counter = counters[status] { return counter }
            let counter = registry.counter(
                "trellis_http_errors_total", help: "Requests rejected by the HTTP layer (parse errors, read timeouts), by status.",
                labels: ["status": String(status)])
            counters[status] = counter
            return counter
        }
        counter.increment()
    }
}
