import Foundation
import TrellisCore
import TrellisQueue

/// Turns a schedule into events: one per fire time, with the scheduled time in the event.
///
/// The last fire time is kept in the queue's state (`schedule/<trigger>`), so a restart knows what it
/// missed and applies the misfire policy. An event's id is derived from the trigger and the fire time,
/// so a crash between storing the event and the fire time stores the event only once.
struct ScheduleProducer: Sendable {
    let config: TriggerConfig
    let plan: SchedulePlan
    let settings: ScheduleSettings
    let queue: any EventQueue
    let metrics: TriggerMetrics
    let logger: Logger
    let wake: @Sendable () -> Void

    /// Fires until the task is cancelled.
    func run() async {
        do {
            let stored = try await queue.state("schedule", config.name).flatMap(Double.init)
            let decision = plan.startup(lastFire: stored.map { Date(timeIntervalSince1970: $0) }, now: Date())
            if let missed = decision.fireMissed {
                logger.info("firing a missed schedule time", [("scheduledTime", .string(Timestamp.rfc3339(missed.timeIntervalSince1970)))])
                try await fire(at: missed)
            }
            var next = decision.next
            while let fireTime = next, !Task.isCancelled {
                let wait = fireTime.timeIntervalSinceNow
                if wait > 0 { try await Task.sleep(for: .milliseconds(Int64((wait * 1000).rounded(.up)))) }
                try await fire(at: fireTime)
                next = plan.nextFire(after: fireTime)
            }
        } catch is CancellationError {
            return
        } catch {
            logger.error("schedule stopped after a queue error", [("error", .string("\(error)"))])
        }
    }

    private func fire(at time: Date) async throws {
        let unix = time.timeIntervalSince1970
        let stamp = Timestamp.rfc3339(unix)
        let event = NewEvent(
            id: "\(config.name)-\(Int64(unix * 1000))", trigger: config.name, source: "schedule:\(stamp)",
            attributes: ["scheduledTime": stamp, "contentType": "application/json"], data: settings.data)
        metrics.received.increment()
        var stored = false
        for attempt in 1...5 {
            do {
                let result = try await queue.enqueue([event], idempotencyKey: nil, window: .zero)
                stored = !result.duplicate
                break
            } catch {
                logger.error("storing a schedule event failed", [("attempt", .int(Int64(attempt))), ("error", .string("\(error)"))])
                if attempt == 5 { throw error }
                try await Task.sleep(for: .seconds(1))
            }
        }
        if stored { metrics.enqueued.increment() }
        try await queue.setState("schedule", config.name, String(unix))
        wake()
    }
}
