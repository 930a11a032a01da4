import Foundation
import Synchronization
import TrellisCore
import TrellisQueue
import TrellisRuntime

/// Every trigger of a process: the configured ones and one implicit queue, `async:<function>`, for each
/// ordinary function, which `POST /async-function/{name}` feeds.
/// It runs their producers (schedules, folder scans) and delivery workers until `stop`.
public final class TriggerRuntime: Sendable {
    public let application: Application
    public let queue: any EventQueue
    /// Configured triggers first, in config order, then the implicit async queues.
    public let triggers: [TriggerConfig]
    private let workers: [String: TriggerWorker]
    private let metrics: [String: TriggerMetrics]
    private let running = Mutex<(tasks: [Task<Void, Never>], watcher: FolderWatcher?, fileSignals: [String: WakeSignal])>(([], nil, [:]))

    private init(application: Application, queue: any EventQueue, triggers: [TriggerConfig], workers: [String: TriggerWorker], metrics: [String: TriggerMetrics]) {
        self.application = application
        self.queue = queue
        self.triggers = triggers
        self.workers = workers
        self.metrics = metrics
    }

    /// Validates `application.config.triggers` against the registered functions. Errors name the field.
    public static func build(
        application: Application, queue: any EventQueue, environment: [String: String] = [:],
        callbacks: CallbackDelivery = CallbackDelivery()
    ) throws(ConfigError) -> TriggerRuntime {
        var triggers = try configuredTriggers(application: application, environment: environment)
        for function in application.functions {
            triggers.append(TriggerConfig(name: AsyncInvocation.trigger(forFunction: function.name), kind: .queue, target: function.name))
        }

        var workers: [String: TriggerWorker] = [:]
        var allMetrics: [String: TriggerMetrics] = [:]
        for trigger in triggers {
            let target: any BatchInvoking
            if let batchFunction = application.batchFunction(named: trigger.target) {
                target = BatchFunctionInvoker(application: application, function: batchFunction)
            } else {
                target = PerEventInvoker(application: application, function: application.function(named: trigger.target)!, callbacks: callbacks)
            }
            let metrics = TriggerMetrics(trigger: trigger.name, registry: application.metrics)
            allMetrics[trigger.name] = metrics
            workers[trigger.name] = TriggerWorker(config: trigger, target: target, queue: queue, metrics: metrics, logger: application.logger)
        }
        return TriggerRuntime(application: application, queue: queue, triggers: triggers, workers: workers, metrics: allMetrics)
    }

    /// Parses the config's `triggers` and checks that each target is a registered function, without
    /// starting anything; `trellis config check` uses it too.
    public static func configuredTriggers(application: Application, environment: [String: String]) throws(ConfigError) -> [TriggerConfig] {
        var triggers: [TriggerConfig] = []
        for (name, settings) in application.config.triggers {
            let trigger = try TriggerConfig.parse(name: name, settings: settings, environment: environment)
            guard application.function(named: trigger.target) != nil || application.batchFunction(named: trigger.target) != nil else {
                let known = (application.functions.map(\.name) + application.batchFunctions.map(\.name)).joined(separator: ", ")
                throw ConfigError(field: "triggers.\(name).target", "no function named \"\(trigger.target)\" is registered; registered: \(known)")
            }
            triggers.append(trigger)
        }
        return triggers
    }

    /// How often the queue depth and oldest-age gauges are refreshed besides after each batch. 5 s.
    public static let gaugeRefresh: Duration = .seconds(5)

    public func trigger(named name: String) -> TriggerConfig? {
        triggers.first { $0.name == name }
    }

    public func metrics(for trigger: String) -> TriggerMetrics? { metrics[trigger] }

    /// Wakes the workers of `trigger` after events were stored, so they need not wait for their poll.
    public func wake(_ trigger: String) {
        workers[trigger]?.wake()
    }

    /// Counts `count` events that arrived over HTTP for `trigger` and wakes its workers when they were
    /// stored (`stored` is false for a duplicate request).
    public func accepted(_ trigger: String, count: Int, stored: Bool) {
        guard let metrics = metrics[trigger] else { return }
        metrics.received.increment(by: count)
        guard stored else { return }
        metrics.enqueued.increment(by: count)
        workers[trigger]?.wake()
    }

    /// Starts every producer and worker.
    public func start() {
        var tasks: [Task<Void, Never>] = []
        var fileSignals: [String: WakeSignal] = [:]
        var watchedFolders: [String: String] = [:]
        for trigger in triggers {
            guard let worker = workers[trigger.name], let metrics = metrics[trigger.name] else { continue }
            for index in 0..<trigger.batch.concurrency {
                tasks.append(Task { await worker.run(loop: index) })
            }
            let logger = application.logger.with(["trigger": trigger.name])
            switch trigger.kind {
            case .schedule(let settings):
                guard let plan = try? SchedulePlan(settings: settings, path: "triggers.\(trigger.name)") else { continue }
                let producer = ScheduleProducer(
                    config: trigger, plan: plan, settings: settings, queue: queue, metrics: metrics, logger: logger,
                    wake: { worker.wake() })
                tasks.append(Task { await producer.run() })
            case .file(let settings):
                let signal = WakeSignal()
                fileSignals[trigger.name] = signal
                let folder = URL(fileURLWithPath: settings.path).standardizedFileURL.path
                try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                watchedFolders[folder] = trigger.name
                let producer = FileProducer(
                    config: trigger, settings: settings, queue: queue, metrics: metrics, logger: logger, signal: signal,
                    wakeWorker: { worker.wake() })
                tasks.append(Task { await producer.run() })
            case .webhook, .queue:
                break
            }
        }
        let allWorkers = Array(workers.values)
        tasks.append(Task {
            // Queue depth and oldest age, for every trigger, every `gaugeRefresh`.
            while !Task.isCancelled {
                for worker in allWorkers { await worker.refreshGauges() }
                try? await Task.sleep(for: Self.gaugeRefresh)
            }
        })

        var watcher: FolderWatcher?
        if !watchedFolders.isEmpty {
            let signals = fileSignals
            let byFolder = watchedFolders
            let created = FolderWatcher(paths: Array(byFolder.keys)) { path in
                if let name = byFolder[path] { signals[name]?.signal() }
            }
            let logger = application.logger
            created.start { path, status in
                logger.warning("cannot watch folder; relying on rescans", [("path", .string(path)), ("status", .int(Int64(status)))])
            }
            watcher = created
        }
        running.withLock { $0 = (tasks, watcher, fileSignals) }
    }

    /// Stops producers and workers. A batch in flight finishes first, for up to `grace`; after that its
    /// events are delivered again after their lease, as after a crash.
    public func stop(grace: Duration) async {
        let (tasks, watcher, _) = running.withLock { state in
            defer { state = ([], nil, [:]) }
            return state
        }
        watcher?.stop()
        for task in tasks { task.cancel() }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for task in tasks { await task.value }
            }
            group.addTask { try? await Task.sleep(for: grace) }
            await group.next()
            group.cancelAll()
        }
    }

    /// Returns the startup table's rows: trigger, kind, target, batch limits, retries.
    public func table() -> [[String]] {
        triggers.filter { AsyncInvocation.function(forTrigger: $0.name) == nil }.map { trigger in
            let kind: String
            switch trigger.kind {
            case .schedule(let settings):
                switch settings.timing {
                case .cron(let expression): kind = "schedule \"\(expression)\" \(settings.timeZone)"
                case .every(let interval): kind = "schedule every \(interval.seconds)s"
                }
            case .file(let settings): kind = "file \(settings.path)/\(settings.pattern) (\(settings.split.rawValue))"
            case .webhook(let settings): kind = settings.signature == .none ? "webhook" : "webhook (signed)"
            case .queue: kind = "queue"
            }
            return [
                trigger.name, kind, trigger.target,
                "\(trigger.batch.maxItems) items / \(trigger.batch.maxWait.seconds)s", "\(trigger.retry.maxAttempts) attempts",
            ]
        }
    }
}
