import Foundation

/// Turns a Codable handler into a raw `Handler`.
enum CodableAdapter {
    static func handler<Input: Decodable & Sendable, Output: Encodable & Sendable>(
        _ handler: @escaping @Sendable (Input, Context) async throws -> Output
    ) -> Handler {
        { request, context in
            try checkContentType(request)
            let input = try decode(Input.self, from: request.body)
            let output = try await handler(input, context)
            return try Response.json(output)
        }
    }

    static func batchHandler<Item: Decodable & Sendable>(
        _ handler: @escaping @Sendable ([TypedEvent<Item>], Context) async throws -> BatchResult
    ) -> BatchHandler {
        { batch, context in
            var items: [TypedEvent<Item>] = []
            var failures: [BatchResult.Failure] = []
            for event in batch.events {
                do {
                    items.append(TypedEvent(event: event, item: try decode(Item.self, from: event.data)))
                } catch {
                    failures.append(BatchResult.Failure(eventID: event.id, reason: (error as? HTTPError)?.message ?? "\(error)", permanent: true))
                }
            }
            guard !items.isEmpty else { return BatchResult(failures: failures) }
            let result = try await handler(items, context)
            return BatchResult(failures: failures + result.failures)
        }
    }

    /// Rejects a declared content type that is not JSON with 415. A missing `Content-Type` is accepted,
    /// so `curl --data` without `-H` works.
    static func checkContentType(_ request: Request) throws(HTTPError) {
        guard let type = request.headers["Content-Type"] else { return }
        let mediaType = type.split(separator: ";", maxSplits: 1).first.map {
            $0.trimmingCharacters(in: .whitespaces).lowercased()
        } ?? ""
        guard mediaType == "application/json" || mediaType.hasSuffix("+json") else {
            throw HTTPError(
                415, code: "unsupported_media_type",
                message: "Content-Type \"\(type)\" is not JSON; send application/json.")
        }
    }

    /// Decodes `body` and renders a `DecodingError` as a 400 that names the field at fault.
    static func decode<Input: Decodable>(_ type: Input.Type, from body: [UInt8]) throws(HTTPError) -> Input {
        guard !body.isEmpty else {
            throw HTTPError(400, code: "invalid_body", message: "The body is empty; send a JSON document.")
        }
        // Foundation's decoder accepts duplicate keys (keeping the first), trailing commas and invalid
        // UTF-8, so a proxy that validates JSON could read another document than the handler. jansson
        // checks the text strictly first, as for the config and JWTs, and its error gives the position.
        do {
            _ = try JSON.parse(body)
        } catch {
            throw HTTPError(400, code: "invalid_body", message: "The body is not valid JSON: \(error.description).")
        }
        do {
            return try CodableSupport.decoder.decode(Input.self, from: Data(body))
        } catch let error as DecodingError {
            if case .dataCorrupted(let context) = error, context.codingPath.isEmpty, (try? JSON.parse(body)) != nil {
                // Foundation reports a number that does not fit its field (1.5 for an Int) as invalid JSON
                // with no coding path, so the field cannot be named.
                throw HTTPError(
                    400, code: "invalid_body",
                    message: "A number in the body does not fit its field: a fraction where a whole number is expected, or a value out of range.")
            }
            throw HTTPError(400, code: "invalid_body", message: describe(error))
        } catch {
            throw HTTPError(400, code: "invalid_body", message: "The body is not valid JSON.")
        }
    }

    static func describe(_ error: DecodingError) -> String {
        func pathText(_ path: [any CodingKey]) -> String {
            var text = ""
            for key in path {
                if let index = key.intValue {
                    text += "[\(index)]"
                } else {
                    text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
                }
            }
            return text.isEmpty ? "the body" : "field '\(text)'"
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "\(pathText(context.codingPath + [key]).capitalizedFirst) is missing."
        case .typeMismatch(let type, let context):
            return "\(pathText(context.codingPath).capitalizedFirst) has the wrong type: expected \(typeName(type))."
        case .valueNotFound(let type, let context):
            return "\(pathText(context.codingPath).capitalizedFirst) is null: expected \(typeName(type))."
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return "The body is not valid JSON." }
            return "\(pathText(context.codingPath).capitalizedFirst) is invalid: \(context.debugDescription)"
        @unknown default:
            return "The body does not match the expected JSON."
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "a boolean"
        case is Int.Type, is Int64.Type, is Int32.Type, is UInt.Type: return "an integer"
        case is Double.Type, is Float.Type: return "a number"
        default:
            let name = String(describing: type)
            if name.hasPrefix("Array") { return "an array" }
            if name.hasPrefix("Dictionary") { return "an object" }
            return "an object"
        }
    }
}

extension String {
    fileprivate var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }
}
