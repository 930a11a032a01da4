@testable import TrellisHTTP
import Testing

/// One request as the parser delivered it, with the body joined from its `.body` events.
struct ParsedRequest: Equatable, CustomStringConvertible {
    var method: String
    var target: String
    var versionMinor: Int
    var headers: [Field]
    var framing: HTTPBodyFraming
    var keepAlive: Bool
    var expectsContinue: Bool
    var body: [UInt8]

    struct Field: Equatable, Sendable {
        var name: String
        var value: String
    }

    var description: String {
        "\(method) \(target) HTTP/1.\(versionMinor) headers=\(headers.map { "\($0.name): \($0.value)" }) "
            + "framing=\(framing) keepAlive=\(keepAlive) expectsContinue=\(expectsContinue) body=\(body.count) bytes"
    }
}

/// What a parser produced from one input: the completed requests, then an error or the state it ended in.
struct ParseOutcome {
    var requests: [ParsedRequest] = []
    var error: HTTPParseError?
    /// `isInsideRequest` after the last event, false when an error was thrown.
    var insideRequest = false
}

/// Feeds `bytes` to a new parser in pieces of `pieceSize` bytes, draining events after each piece, and
/// records an issue when the events come in an order the parser promises never to produce.
func parseRequests(
    _ bytes: [UInt8], limits: HTTPParserLimits = HTTPParserLimits(), pieceSize: Int = Int.max
) -> ParseOutcome {
    var parser = HTTPRequestParser(limits: limits)
    var outcome = ParseOutcome()
    var current: ParsedRequest?
    var offset = 0

    while offset < bytes.count {
        let end = offset + min(pieceSize, bytes.count - offset)
        bytes[offset..<end].withUnsafeBytes { parser.append($0) }
        offset = end

        do {
            while let event = try parser.next() {
                switch event {
                case .head(let head):
                    #expect(current == nil, "a head arrived before the previous request ended")
                    current = ParsedRequest(
                        method: head.method, target: head.target, versionMinor: head.versionMinor,
                        headers: head.headers.map { ParsedRequest.Field(name: $0.name, value: $0.value) },
                        framing: head.framing, keepAlive: head.keepAlive, expectsContinue: head.expectsContinue,
                        body: [])
                case .body(let piece):
                    #expect(current != nil, "a body piece arrived outside a request")
                    #expect(!piece.isEmpty, "the parser returned an empty body piece")
                    current?.body += piece
                case .end:
                    #expect(current != nil, "an end arrived outside a request")
                    if let request = current { outcome.requests.append(request) }
                    current = nil
                }
            }
        } catch {
            outcome.error = error
            return outcome
        }
    }
    outcome.insideRequest = parser.isInsideRequest
    return outcome
}

/// Encodes text as UTF-8 bytes, so `\r\n` in a Swift literal becomes CR LF.
func bytes(_ text: String) -> [UInt8] {
    Array(text.utf8)
}
