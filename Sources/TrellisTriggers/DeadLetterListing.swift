import Foundation
import TrellisCore
import TrellisQueue

/// The JSON form of dead letters, shared by `GET /events/{trigger}/dlq` and `trellis dlq`.
public enum DeadLetterListing {
    /// An array of `{id, trigger, source, time, attributes, data, dataEncoding, attempts: [{attempt,
    /// time, error}], lastError, deadLetteredAt}`. `data` is the text when it is valid UTF-8
    /// (`dataEncoding` `utf8`), else base64 (`dataEncoding` `base64`).
    public static func json(_ letters: [DeadLetter]) -> JSON {
        .array(
            letters.map { letter in
                let event = letter.event
                let text = String(validating: event.data, as: UTF8.self)
                return [
                    "id": .string(event.id),
                    "trigger": .string(event.trigger),
                    "source": .string(event.source),
                    "time": .string(Timestamp.rfc3339(event.time)),
                    "attributes": .object(event.attributes.sorted { $0.key < $1.key }.map { (key: $0.key, value: JSON.string($0.value)) }),
                    "data": .string(text ?? Data(event.data).base64EncodedString()),
                    "dataEncoding": .string(text == nil ? "base64" : "utf8"),
                    "attempts": .array(
                        letter.attempts.map {
                            ["attempt": .int(Int64($0.attempt)), "time": .string(Timestamp.rfc3339($0.time)), "error": .string($0.error)]
                        }),
                    "lastError": .string(letter.lastError),
                    "deadLetteredAt": .string(Timestamp.rfc3339(letter.deadLetteredAt)),
                ]
            })
    }
}
