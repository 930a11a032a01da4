import TrellisCore

/// The events in a webhook request body: one JSON value, or an array whose elements are one event each.
///
/// Each event's data is the element re-serialized as compact JSON (`JSON.serialized()`), so the worker
/// gets the same text whatever spacing the sender used. Two consequences of going through `JSON`: a real
/// number is written with 15 significant digits, and an integer outside the 64-bit range is rejected as
/// invalid JSON. An object element's string `id` member becomes the event's id, which the queue uses to
/// drop a repeated delivery of the same event within the trigger's idempotency window.
struct WebhookPayload: Sendable, Equatable {
    struct Element: Sendable, Equatable {
        var id: String?
        var data: [UInt8]
    }

    var elements: [Element]

    /// Checks that `contentType` is JSON: `application/json` or an `application/…+json` type, with any
    /// parameters. Throws 415 `unsupported_media_type` otherwise, also when the header is absent.
    static func checkContentType(_ contentType: String?) throws(HTTPError) {
        guard let contentType else {
            throw HTTPError(415, code: "unsupported_media_type", message: "Content-Type is missing; send application/json.")
        }
        let mediaType = contentType.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)[0]
            .trimmingSpaces.lowercased()
        guard mediaType == "application/json" || (mediaType.hasPrefix("application/") && mediaType.hasSuffix("+json")) else {
            throw HTTPError(
                415, code: "unsupported_media_type",
                message: "Content-Type \(Self.quoted(mediaType)) is not JSON; send application/json.")
        }
    }

    /// Parses `body`. Throws 400 `invalid_json` for text that is not one JSON value, 400 `empty_batch` for
    /// `[]` and 413 `too_many_events` for an array of more than `maxEvents` elements. It throws 400
    /// `invalid_event` for a `null` or array element, because an event's data must be an object, string,
    /// number or boolean.
    /// An `id` member that is a string must be 1 to 255 visible ASCII characters (400 `invalid_event_id`)
    /// and unique within the request (400 `duplicate_event_id`); an `id` of another type is kept as data only.
    static func parse(_ body: [UInt8], maxEvents: Int) throws(HTTPError) -> WebhookPayload {
        let root: JSON
        do {
            root = try JSON.parse(body)
        } catch {
            throw HTTPError.badRequest("The body is not valid JSON: \(error.description).", code: "invalid_json")
        }

        let values: [JSON]
        if case .array(let array) = root {
            guard !array.isEmpty else {
                throw HTTPError.badRequest("The body is an empty array; send at least one event.", code: "empty_batch")
            }
            guard array.count <= maxEvents else {
                throw HTTPError(
                    413, code: "too_many_events",
                    message: "The body contains \(array.count) events, more than the maximum of \(maxEvents) per request; split it.")
            }
            values = array
        } else {
            values = [root]
        }

        var elements: [Element] = []
        elements.reserveCapacity(values.count)
        var seenIDs: Set<String> = []
        for (index, value) in values.enumerated() {
            switch value {
            case .null, .array:
                throw HTTPError.badRequest(
                    "Event \(index) is \(value.typeName == "null" ? "null" : "an array"); each event must be an object, "
                        + "string, number or boolean.",
                    code: "invalid_event")
            default:
                break
            }
            let id = value["id"]?.stringValue
            if let id {
                guard IngressIdempotencyKey.isValid(id) else {
                    throw HTTPError.badRequest(
                        "The id of event \(index) must be 1 to \(IngressIdempotencyKey.maxLength) visible ASCII characters.",
                        code: "invalid_event_id")
                }
                guard seenIDs.insert(id).inserted else {
                    throw HTTPError.badRequest(
                        "Event \(index) repeats the id \(Self.quoted(id)) of an earlier event in the request.",
                        code: "duplicate_event_id")
                }
            }
            elements.append(Element(id: id, data: Array(value.serialized().utf8)))
        }
        return WebhookPayload(elements: elements)
    }

    /// `text` in quotes, cut to 80 bytes, for an error message.
    static func quoted(_ text: String) -> String {
        let maxBytes = 80
        guard text.utf8.count > maxBytes else { return "\"\(text)\"" }
        return "\"\(String(decoding: text.utf8.prefix(maxBytes), as: UTF8.self))…\""
    }
}
