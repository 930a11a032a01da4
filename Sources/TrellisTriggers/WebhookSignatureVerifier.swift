import TrellisCore
import TrellisDecorators
import TrellisRuntime

/// Checks a webhook request's HMAC-SHA256 signature against a trigger's `WebhookSettings.Signature`.
///
/// Two header formats are accepted:
/// - `X-Hub-Signature-256: sha256=<hex>`, the HMAC of the raw body (the format GitHub documents).
/// - `<header>: t=<unix seconds>,v1=<hex>[,v1=<hex>…]`, the HMAC of `t + "." + body` (the format Stripe
///   documents). Several `v1` values are allowed so that a sender can sign with an old and a new secret
///   while keys rotate; one match is enough. Other keys such as `v0` are ignored.
///
/// Tags are compared with `Digest.constantTimeEqual`, so the time taken does not reveal how many leading
/// bytes matched. A failure names what was wrong (missing header, malformed header, timestamp outside
/// the tolerance, mismatch) but never the secret or the expected tag.
public enum WebhookSignatureVerifier {
    /// The reason a signature was rejected. Each renders as a 401 with a stable `code`.
    public enum Failure: Error, Sendable, Equatable {
        case missingHeader(String)
        case malformedHeader(String, reason: String)
        /// `timestamp` lies more than `tolerance` seconds from `now`, in either direction.
        case timestampOutsideTolerance(timestamp: Int64, now: Double, tolerance: Double)
        case mismatch(String)

        public var httpError: HTTPError {
            switch self {
            case .missingHeader(let header):
                return HTTPError(401, code: "signature_missing", message: "The \(header) header is missing; sign the request body.")
            case .malformedHeader(let header, let reason):
                return HTTPError(401, code: "signature_malformed", message: "The \(header) header is malformed: \(reason).")
            case .timestampOutsideTolerance(let timestamp, let now, let tolerance):
                return HTTPError(
                    401, code: "signature_timestamp_out_of_tolerance",
                    message: "The signature timestamp \(timestamp) is more than \(Int64(tolerance)) s from the server time "
                        + "\(Int64(now.rounded(.down))); sign with the current time.")
            case .mismatch(let header):
                return HTTPError(
                    401, code: "signature_mismatch",
                    message: "The \(header) signature does not match the body; check the shared secret and sign the raw body.")
            }
        }
    }

    /// The header of the `hubSignature` scheme.
    public static let hubSignatureHeader = "X-Hub-Signature-256"
    static let hubSignaturePrefix = "sha256="
    /// The length of a hex-encoded HMAC-SHA256 tag, in characters.
    static let hexTagLength = 2 * Digest.sha256ByteCount

    /// Verifies `body` and `headers` against `signature` at `now` (Unix seconds). Returns at once for
    /// `.none`.
    public static func verify(
        _ signature: WebhookSettings.Signature, headers: Headers, body: [UInt8], now: Double
    ) throws(Failure) {
        switch signature {
        case .none:
            return
        case .hubSignature(let secret):
            try verifyHub(secret: secret, headers: headers, body: body)
        case .timestamped(let secret, let header, let tolerance):
            try verifyTimestamped(secret: secret, header: header, tolerance: tolerance, headers: headers, body: body, now: now)
        }
    }

    private static func verifyHub(secret: [UInt8], headers: Headers, body: [UInt8]) throws(Failure) {
        let header = hubSignatureHeader
        guard let value = headers[header] else { throw .missingHeader(header) }
        let trimmed = value.trimmingSpaces
        guard trimmed.hasPrefix(hubSignaturePrefix) else {
            throw .malformedHeader(header, reason: "expected sha256=<64 hex digits>")
        }
        guard let tag = parseTag(String(trimmed.dropFirst(hubSignaturePrefix.count))) else {
            throw .malformedHeader(header, reason: "expected sha256=<64 hex digits>")
        }
        let expected = Digest.hmacSHA256(key: secret, data: body)
        guard Digest.constantTimeEqual(tag, expected) else { throw .mismatch(header) }
    }

    private static func verifyTimestamped(
        secret: [UInt8], header: String, tolerance: Duration, headers: Headers, body: [UInt8], now: Double
    ) throws(Failure) {
        guard let value = headers[header] else { throw .missingHeader(header) }
        var timestampText: Substring?
        var tags: [[UInt8]] = []
        for part in value.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2 else {
                throw .malformedHeader(header, reason: "expected t=<unix seconds>,v1=<64 hex digits>")
            }
            let key = Substring(pair[0]).trimmingSpaces
            let item = Substring(pair[1]).trimmingSpaces
            switch key {
            case "t":
                guard timestampText == nil else { throw .malformedHeader(header, reason: "t is given twice") }
                timestampText = item
            case "v1":
                guard let tag = parseTag(String(item)) else {
                    throw .malformedHeader(header, reason: "a v1 value is not 64 hex digits")
                }
                tags.append(tag)
            default:
                continue
            }
        }
        guard let timestampText else { throw .malformedHeader(header, reason: "t=<unix seconds> is missing") }
        guard timestampText.utf8.count <= 12, timestampText.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            let timestamp = Int64(timestampText)
        else {
            throw .malformedHeader(header, reason: "t is not a Unix time in whole seconds")
        }
        guard !tags.isEmpty else { throw .malformedHeader(header, reason: "v1=<64 hex digits> is missing") }

        let toleranceSeconds = tolerance.seconds
        guard abs(now - Double(timestamp)) <= toleranceSeconds else {
            throw .timestampOutsideTolerance(timestamp: timestamp, now: now, tolerance: toleranceSeconds)
        }
        let signedPayload = Array("\(timestampText).".utf8) + body
        let expected = Digest.hmacSHA256(key: secret, data: signedPayload)
        // Every tag is compared, also after a match, so the time does not depend on which one matched.
        var matched = false
        for tag in tags where Digest.constantTimeEqual(tag, expected) { matched = true }
        guard matched else { throw .mismatch(header) }
    }

    /// Parses 64 hex digits in either letter case.
    private static func parseTag(_ text: String) -> [UInt8]? {
        guard text.utf8.count == hexTagLength else { return nil }
        return Digest.bytes(fromHex: text)
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces and horizontal tabs (HTTP optional whitespace).
    var trimmingSpaces: Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        let text = Substring(self)
        guard let start = text.firstIndex(where: { !isSpace($0) }) else { return "" }
        let end = text.lastIndex(where: { !isSpace($0) })!
        return text[start...end]
    }
}
