import Foundation
import TrellisCore
import TrellisQueue

/// Turns a schedule into events: one per fire time, with the scheduled time in the event.
///
/// The last fire time is kept in the queue's state (`schedule/<trigger>`), so after a restart it can tell
/// what was missed and applies the misfire policy. Each event is stored under an idempotency key made of the fire
/// time, so a crash between storing the event and the fire time stores the event only once.
struct ScheduleProducer: Sendable {
    /// How long a fire time's key is remembered: 7 days, longer than any restart should take.
    static let fireKeyWindow: Duration = .seconds(7 * 86_400)

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
            let stored = try await readLastFire()
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
            logger.error("schedule stopped", [("error", .string("\(error)"))])
        }
    }

    /// Reads the stored last fire time, retrying a failing queue with growing pauses.
    private func readLastFire() async throws -> Double? {
        var pause: Duration = .seconds(1)
        while true {
            do {
                return try await queue.state("schedule", config.name).flatMap(Double.init)
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                logger.error("reading the schedule's last fire time failed; retrying", [("error", .string("\(error)"))])
                try await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(60))
            }
        }
    }

    private func fire(at time: Date) async throws {
        let unix = time.timeIntervalSince1970
        let stamp = Timestamp.rfc3339(unix)
        let event = NewEvent(
            trigger: config.name, source: "schedule:\(stamp)",
            attributes: ["scheduledTime": stamp, "contentType": "application/json"], data: settings.data)
        // Keyed by the fire time within the trigger, so a crash between storing the event and the fire
        // time stores it once, and no other trigger's ids can collide with it.
        let key = "fire:\(Int64(unix * 1000))"
        metrics.received.increment()
        // A schedule never gives up: a failing queue is retried with growing pauses (up to a minute),
        // each failure logged, so the fire happens as soon as the queue works again.
        var pause: Duration = .seconds(1)
        while true {
            do {
                let result = try await queue.enqueue([event], idempotencyKey: key, window: Self.fireKeyWindow)
                if !result.duplicate { metrics.enqueued.increment() }
                try await queue.setState("schedule", config.name, String(unix))
                break
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                logger.error("storing a schedule event failed; retrying", [
                    ("scheduledTime", .string(stamp)), ("retryInSeconds", .double(pause.seconds)), ("error", .string("\(error)")),
                ])
                try await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(60))
            }
        }
        wake()
    }
}
