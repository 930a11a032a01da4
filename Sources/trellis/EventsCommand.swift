import Foundation
import TrellisCore
import TrellisQueue
import TrellisTriggers

enum EventsCommand {
    static let help = """
        Usage: trellis events send TRIGGER (--data JSON | --data @FILE | --data @-) [--idempotency-key KEY]
                                           [--config PATH]

        Stores one event durably on TRIGGER's queue, in the queue database the config names (the server
        need not run; a running server picks the event up within 100 ms). A JSON array posts one event per
        element, as POST /events/TRIGGER does. Prints the event ids.

        Options:
          --data TEXT            The event data, JSON; @FILE reads it from FILE, @- from standard input.
          --idempotency-key KEY  Store nothing when KEY was used for TRIGGER within 24 hours.
          --config PATH          Config file (default: $TRELLIS_CONFIG, else runtime/trellis.json if present).
        """

    static func run(_ arguments: [String]) async -> Int32 {
        let parsed: Arguments
        switch Command.parse(arguments, name: "events", help: help, options: ["--data", "--idempotency-key", "--config"]) {
        case .success(let value): parsed = value
        case .failure(let exit): return exit.status
        }
        guard parsed.positional.first == "send" else { return Command.usageError("events", "expected the subcommand \"send\"") }
        guard parsed.positional.count == 2 else { return Command.usageError("events", "expected one TRIGGER after send") }
        guard let dataOption = parsed.value("--data") else { return Command.usageError("events", "missing --data") }
        let trigger = parsed.positional[1]
        do {
            let body = try InvokeCommand.readBody(dataOption)
            let document: JSON
            do {
                document = try JSON.parse(body)
            } catch {
                throw ApplicationLoader.StartupError(description: "--data is not valid JSON: \(error)")
            }
            let elements = document.arrayValue ?? [document]
            guard !elements.isEmpty else { throw ApplicationLoader.StartupError(description: "--data is an empty array") }
            let (config, queue) = try QueueAccess.open(configOption: parsed.value("--config"))
            try QueueAccess.requireTrigger(trigger, in: config)
            let events = elements.map { element in
                EventAdmission.Incoming(
                    senderID: element["id"]?.stringValue,
                    event: NewEvent(
                        trigger: trigger, source: "cli", attributes: ["contentType": "application/json"],
                        data: Array(element.serialized().utf8)))
            }
            let result = try await EventAdmission.store(
                events, requestKey: parsed.value("--idempotency-key"), window: .seconds(86_400), queue: queue)
            for id in result.ids { print(id) }
            if result.duplicate { Output.standardError("trellis events: duplicate idempotency key; nothing new was stored") }
            return ExitStatus.success
        } catch {
            Output.standardError("trellis events: \(error)")
            return ExitStatus.failure
        }
    }
}
