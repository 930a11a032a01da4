import Synchronization
import TrellisCore

/// The ingress's metric series. Labels take only route names and trigger or function names from the
/// config and the registry, never request input, so the number of series stays bounded.
final class IngressMetrics: Sendable {
    private let registry: MetricsRegistry
    private let requests = Mutex<[String: Counter]>([:])
    private let events = Mutex<[String: Counter]>([:])
    private let enqueueFailures = Mutex<[String: Counter]>([:])

    init(registry: MetricsRegistry) {
        self.registry = registry
    }

    /// Counts one ingress request by route name and response status.
    func recordRequest(route: String, status: Int) {
        let key = "\(route) \(status)"
        counter(in: requests, key: key) {
            registry.counter(
                "trellis_ingress_requests_total", help: "Requests to the event ingress endpoints, by route and status.",
                labels: ["route": route, "status": String(status)])
        }.increment()
    }

    /// Counts events stored by the queue for `trigger`; a duplicate request stores none.
    func recordAccepted(trigger: String, count: Int) {
        counter(in: events, key: trigger) {
            registry.counter(
                "trellis_ingress_events_total", help: "Events the ingress stored in the queue, by trigger.",
                labels: ["trigger": trigger])
        }.increment(by: count)
    }

    /// Counts a failed `enqueue` call for `trigger`, responded 503.
    func recordEnqueueFailure(trigger: String) {
        counter(in: enqueueFailures, key: trigger) {
            registry.counter(
                "trellis_ingress_enqueue_failures_total", help: "Ingress requests rejected with 503 because the queue failed, by trigger.",
                labels: ["trigger": trigger])
        }.increment()
    }

    private func counter(in cache: borrowing Mutex<[String: Counter]>, key: String, make: () -> Counter) -> Counter {
        cache.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter = make()
            counters[key] = counter
            return counter
        }
    }
}
