/// The response fields of draft-ietf-httpapi-ratelimit-headers-11 (May 2026, "RateLimit header
/// fields for HTTP", sections 3 and 4), written for one token-bucket policy.
///
/// Both fields are Structured Field Lists whose items are Strings naming a policy:
///
///     RateLimit-Policy: "client";q=10;w=5
///     RateLimit: "client";r=3;t=2
///
/// The mapping from a token bucket, in requests (the draft's default quota unit, so `qu` is left out):
/// - `q`: requests a full bucket allows, `floor(capacity / cost)`.
/// - `w`: seconds to refill an empty bucket, `ceil(capacity / refillPerSecond)`, at least 1 because
///   the draft requires a window above 0. `q` per `w` is then the sustained rate and `q` the burst.
/// - `r`: requests the bucket allows now, `floor(remaining / cost)`.
/// - `t`: seconds until the bucket is full again, rounded up (0 when full). On a refusal it is the
///   `Retry-After` value instead, because under the draft `Retry-After` SHOULD NOT point earlier
///   than the end of this window.
/// The partition key parameter `pk` is not sent: the key may be a client address or a header value
/// that the response should not echo.
public enum RateLimitHeaderFields {
    public static let policyField = "RateLimit-Policy"
    public static let limitField = "RateLimit"
    /// The maximum policy name length, in bytes.
    public static let maxPolicyNameLength = 64

    /// True when `name` can be written as a Structured Field String without escapes: 1 to 64 bytes of
    /// printable ASCII (0x20 to 0x7E) other than `"` and `\`.
    public static func isValidPolicyName(_ name: String) -> Bool {
        let bytes = name.utf8
        return !bytes.isEmpty && bytes.count <= maxPolicyNameLength
            && bytes.allSatisfy { $0 >= 0x20 && $0 <= 0x7E && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }
    }

    /// Formats the `RateLimit-Policy` value for a bucket of `capacity` tokens refilled at `refillPerSecond`,
    /// with `cost` tokens per request.
    public static func policy(name: String, capacity: Double, refillPerSecond: Double, cost: Double) -> String {
        let quota = wholeRequests(capacity, cost: cost)
        let window = max(1, wholeSecondsRoundedUp(capacity / refillPerSecond))
        return "\"\(name)\";q=\(quota);w=\(window)"
    }

    /// Formats the `RateLimit` value for `remaining` tokens and an effective window of `windowSeconds`.
    ///
    /// It runs on every allowed request, so it writes the bytes into one String of the final size.
    /// Interpolation would append piece by piece and grow the String several times.
    public static func limit(name: String, remaining: Double, cost: Double, windowSeconds: UInt64) -> String {
        let requests = wholeRequests(remaining, cost: cost)
        var name = name
        return name.withUTF8 { nameBytes in
            // `"` name `";r=` digits `;t=` digits: 8 bytes of punctuation and at most 20 digits per number.
            String(unsafeUninitializedCapacity: nameBytes.count + 48) { buffer in
                var writer = ByteWriter(buffer: buffer)
                writer.append(UInt8(ascii: "\""))
                writer.append(nameBytes)
                writer.append(UInt8(ascii: "\""))
                writer.append(UInt8(ascii: ";"))
                writer.append(UInt8(ascii: "r"))
                writer.append(UInt8(ascii: "="))
                writer.appendDecimal(requests)
                writer.append(UInt8(ascii: ";"))
                writer.append(UInt8(ascii: "t"))
                writer.append(UInt8(ascii: "="))
                writer.appendDecimal(windowSeconds)
                return writer.count
            }
        }
    }

    /// A cursor that appends bytes to a buffer the caller sized for everything written.
    private struct ByteWriter {
        let buffer: UnsafeMutableBufferPointer<UInt8>
        var count = 0

        mutating func append(_ byte: UInt8) {
            buffer[count] = byte
            count += 1
        }

        mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
            for byte in bytes { append(byte) }
        }

        /// Appends `value` in decimal without leading zeros: at most 20 digits.
        mutating func appendDecimal(_ value: UInt64) {
            var digitCount = 1
            var scaled = value
            while scaled >= 10 {
                scaled /= 10
                digitCount += 1
            }
            var remaining = value
            for position in stride(from: count + digitCount - 1, through: count, by: -1) {
                buffer[position] = UInt8(ascii: "0") + UInt8(remaining % 10)
                remaining /= 10
            }
            count += digitCount
        }
    }

    /// Converts nanoseconds to whole seconds, rounded up.
    public static func wholeSecondsRoundedUp(nanoseconds: UInt64) -> UInt64 {
        nanoseconds / 1_000_000_000 + (nanoseconds % 1_000_000_000 == 0 ? 0 : 1)
    }

    private static func wholeSecondsRoundedUp(_ seconds: Double) -> UInt64 {
        let rounded = seconds.rounded(.up)
        return rounded >= Double(UInt64.max) ? UInt64.max : UInt64(rounded)
    }

    private static func wholeRequests(_ tokens: Double, cost: Double) -> UInt64 {
        guard cost > 0 else { return UInt64(tokens.rounded(.down)) }
        let requests = (tokens / cost).rounded(.down)
        return requests >= Double(UInt64.max) ? UInt64.max : UInt64(max(0, requests))
    }
}
