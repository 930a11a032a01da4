import TrellisCore

/// The metric series of one trigger, looked up once when the trigger starts.
public final class TriggerMetrics: Sendable {
    /// Events offered by the source: webhook events (duplicates included), file records, schedule ticks.
    public let received: Counter
    /// Events stored in the queue (duplicates excluded).
    public let enqueued: Counter
    /// Deliveries: events handed to a function, each attempt counted.
    public let delivered: Counter
    public let succeeded: Counter
    public let failed: Counter
    public let retried: Counter
    public let deadLettered: Counter
    /// Waiting or leased events, refreshed every few seconds and after each batch.
    public let depth: Gauge
    /// Age of the oldest waiting or leased event in whole seconds.
    public let oldestAgeSeconds: Gauge
    /// Events per batch.
    public let batchSize: Histogram

    public init(trigger: String, registry: MetricsRegistry) {
        func counter(_ name: String, _ help: String) -> Counter {
            registry.counter(name, help: help, labels: ["trigger": trigger])
        }
        received = counter("trellis_trigger_received_total", "Events offered by the trigger's source, duplicates included.")
        enqueued = counter("trellis_trigger_enqueued_total", "Events stored durably in the queue.")
        delivered = counter("trellis_trigger_delivered_total", "Event deliveries to the target function, every attempt counted.")
        succeeded = counter("trellis_trigger_succeeded_total", "Event deliveries that succeeded.")
        failed = counter("trellis_trigger_failed_total", "Event deliveries that failed.")
        retried = counter("trellis_trigger_retried_total", "Failed events scheduled for another attempt.")
        deadLettered = counter("trellis_trigger_dead_lettered_total", "Events moved to the dead-letter store.")
        depth = registry.gauge(
            "trellis_trigger_queue_depth", help: "Events waiting or leased in the trigger's queue.", labels: ["trigger": trigger])
        oldestAgeSeconds = registry.gauge(
            "trellis_trigger_oldest_event_age_seconds", help: "Age of the oldest waiting or leased event, in whole seconds.",
            labels: ["trigger": trigger])
        batchSize = registry.histogram(
            "trellis_trigger_batch_size", help: "Events per batch invocation.",
            buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000], labels: ["trigger": trigger])
    }
}
