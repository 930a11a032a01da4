import Foundation
import TrellisCore
import TrellisQueue

/// The JSON body of `GET /events/{trigger}/dlq` and `trellis dlq list --json`: the trigger's dead
/// letters, newest first.
///
/// Each entry has `id`, `source`, `time`, `attributes`, `attempts` (each with `attempt`, `time` and
/// `error`), `lastError`, `deadLetteredAt` (Unix seconds), and `data` with `dataEncoding`: `utf8` when
/// the data is valid UTF-8 and the text is given as is, else `base64` (RFC 4648, with padding).
public enum DeadLetterListing {
    /// Parses the `limit` query parameter: `IngressSettings.defaultDeadLetterLimit` when absent, else an integer
    /// from 1 to `IngressSettings.maxDeadLetterLimit`. Throws 400 `invalid_limit` otherwise.
    static func limit(from request: Request) throws(HTTPError) -> Int {
        guard let text = request.queryValue("limit") else { return IngressSettings.defaultDeadLetterLimit }
        guard let limit = Int(text), (1...IngressSettings.maxDeadLetterLimit).contains(limit) else {
            throw HTTPError.badRequest(
                "limit must be an integer from 1 to \(IngressSettings.maxDeadLetterLimit), not \(WebhookPayload.quoted(text)).",
                code: "invalid_limit")
        }
        return limit
    }

    public static func json(trigger: String, deadLetters: [DeadLetter]) -> JSON {
        .object([
            (key: "trigger", value: .string(trigger)),
            (key: "count", value: .int(Int64(deadLetters.count))),
            (key: "deadLetters", value: .array(deadLetters.map(entry))),
        ])
    }

    public static func entry(_ letter: DeadLetter) -> JSON {
        let event = letter.event
        let (data, encoding): (String, String)
        if let text = String(validating: event.data, as: UTF8.self) {
            (data, encoding) = (text, "utf8")
        } else {
            (data, encoding) = (Data(event.data).base64EncodedString(), "base64")
        }
        // A callback URL's query may hold a token, so the listing shows the URL without it, as logs do.
        let attributes = event.attributes.sorted { $0.key < $1.key }.map { member -> (key: String, value: JSON) in
            let value = member.key == AsyncInvocation.Attribute.callbackURL
                ? String(member.value.prefix { $0 != "?" }) : member.value
            return (key: member.key, value: JSON.string(value))
        }
        let attempts = letter.attempts.map { record -> JSON in
            [
                "attempt": .int(Int64(record.attempt)), "time": .double(record.time), "error": .string(record.error),
            ]
        }
        return .object([
            (key: "id", value: .string(event.id)),
            (key: "source", value: .string(event.source)),
            (key: "time", value: .double(event.time)),
            (key: "attributes", value: .object(attributes)),
            (key: "attempts", value: .array(attempts)),
            (key: "lastError", value: .string(letter.lastError)),
            (key: "deadLetteredAt", value: .double(letter.deadLetteredAt)),
            (key: "dataEncoding", value: .string(encoding)),
            (key: "data", value: .string(data)),
        ])
    }
}
