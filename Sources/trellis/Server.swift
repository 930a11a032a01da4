import Foundation
import TrellisGateway
import TrellisQueue
import TrellisRuntime
import TrellisTriggers

enum Server {
    /// Opens the event queue, starts the triggers and the gateway, prints the startup tables and URL,
    /// and blocks until SIGTERM or SIGINT. The gateway drains first, then the triggers' in-flight
    /// batches finish within the same grace period, then the queue closes.
    static func serve(_ application: Application, host: String?, port: Int?, eventLoops: Int?) async -> Int32 {
        let queue: SQLiteEventQueue
        let triggers: TriggerRuntime
        do {
            queue = try SQLiteEventQueue(path: application.config.queuePath)
        } catch {
            Output.standardError("trellis serve: cannot open the event queue: \(error)")
            return ExitStatus.failure
        }
        do {
            triggers = try TriggerRuntime.build(
                application: application, queue: queue, environment: ProcessInfo.processInfo.environment)
        } catch {
            Output.standardError("trellis serve: \(error)")
            queue.close()
            return ExitStatus.failure
        }
        var settings = IngressSettings()
        settings.callbackOrigins = Set(application.config.callbackOrigins)
        let ingress = WebhookIngress(
            triggers: triggers.triggers, queue: queue, application: application, settings: settings,
            batchFunctions: Set(application.batchFunctions.map(\.name)), onAccepted: { triggers.accepted($0, count: $1, stored: $2) })
        let gateway = Gateway(application: application, host: host, port: port, eventLoops: eventLoops, ingress: ingress)
        let boundPort: Int
        do {
            boundPort = try gateway.start()
        } catch {
            Output.standardError("trellis serve: \(error)")
            queue.close()
            return ExitStatus.failure
        }
        triggers.start()
        let shownHost = host ?? application.config.server.host
        let urlHost = shownHost.contains(":") ? "[\(shownHost)]" : shownHost
        // Written unbuffered once SIGTERM is handled, so that a supervisor reading a pipe gets the port
        // at once and may stop the server right after.
        let status = gateway.runUntilSignal {
            // The startup lines logged so far go out before the table, as they would unbuffered.
            application.logger.sink.flush()
            Output.standardOutput(ApplicationLoader.functionTable(application))
            let rows = triggers.table()
            if !rows.isEmpty {
                Output.standardOutput("\n" + Output.table(["TRIGGER", "SOURCE", "TARGET", "BATCH", "RETRIES"], rows))
            }
            Output.standardOutput("\nTrellis listening on http://\(urlHost):\(boundPort)  (port \(boundPort))")
        }
        await triggers.stop(grace: .seconds(application.config.server.shutdownGraceSeconds))
        queue.close()
        return status
    }
}
