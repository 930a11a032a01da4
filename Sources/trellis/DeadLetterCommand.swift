import Foundation
import TrellisCore
import TrellisQueue
import TrellisTriggers

enum DeadLetterCommand {
    static let help = """
        Usage: trellis dlq list TRIGGER [--limit N] [--json] [--config PATH]
               trellis dlq show TRIGGER EVENT_ID [--config PATH]
               trellis dlq redrive TRIGGER [EVENT_ID...] [--config PATH]

        Works on the dead-letter store of TRIGGER: events that failed their last attempt.
          list      One line per dead letter, newest first: id, attempts, dead-lettered time, last error.
          show      One dead letter with its data and every attempt's error, as JSON.
          redrive   Moves the named dead letters (all when none is named) back to the queue with a fresh
                    attempt counter; a running server delivers them again.

        Options:
          --limit N       Most dead letters listed, 1 to 1000 (default 100), as over HTTP.
          --json          Print the list as JSON, as GET /events/TRIGGER/dlq does.
          --config PATH   Config file (default: $TRELLIS_CONFIG, else runtime/trellis.json if present).
        """

    static func run(_ arguments: [String]) async -> Int32 {
        let parsed: Arguments
        switch Command.parse(arguments, name: "dlq", help: help, options: ["--limit", "--config"], flags: ["--json"]) {
        case .success(let value): parsed = value
        case .failure(let exit): return exit.status
        }
        guard let action = parsed.positional.first, ["list", "show", "redrive"].contains(action) else {
            return Command.usageError("dlq", "expected list, show or redrive")
        }
        guard parsed.positional.count >= 2 else { return Command.usageError("dlq", "missing TRIGGER") }
        let trigger = parsed.positional[1]
        let ids = Array(parsed.positional.dropFirst(2))
        if action == "list" && !ids.isEmpty { return Command.usageError("dlq", "list takes no event ids") }
        if action == "show" && ids.count != 1 { return Command.usageError("dlq", "show takes one EVENT_ID") }
        let limit: Int
        do {
            limit = try parsed.int("--limit", in: 1...1_000) ?? 100
        } catch {
            return Command.usageError("dlq", error.message)
        }
        do {
            let (config, queue) = try QueueAccess.open(configOption: parsed.value("--config"))
            try QueueAccess.requireTrigger(trigger, in: config)
            switch action {
            case "list":
                let letters = try await queue.deadLetters(trigger: trigger, limit: limit)
                if parsed.flag("--json") {
                    print(DeadLetterListing.json(trigger: trigger, deadLetters: letters).serialized(pretty: true))
                } else if letters.isEmpty {
                    print("no dead letters for \(trigger)")
                } else {
                    let rows = letters.map { letter in
                        [letter.event.id, String(letter.attempts.count), Timestamp.rfc3339(letter.deadLetteredAt), letter.lastError]
                    }
                    print(Output.table(["EVENT", "ATTEMPTS", "DEAD-LETTERED", "LAST ERROR"], rows))
                }
            case "show":
                guard let letter = try await queue.deadLetter(id: ids[0]), letter.event.trigger == trigger else {
                    Output.standardError("trellis dlq: no dead letter \(ids[0]) for trigger \(trigger)")
                    return ExitStatus.failure
                }
                print(DeadLetterListing.entry(letter).serialized(pretty: true))
            default:
                let moved = try await queue.redrive(trigger: trigger, ids: ids.isEmpty ? nil : ids)
                print("redrove \(moved) event\(moved == 1 ? "" : "s") of \(trigger)")
                if !ids.isEmpty && moved < ids.count {
                    Output.standardError("trellis dlq: \(ids.count - moved) of the named ids are not dead letters of \(trigger)")
                    return ExitStatus.failure
                }
            }
            return ExitStatus.success
        } catch {
            Output.standardError("trellis dlq: \(error)")
            return ExitStatus.failure
        }
    }
}
