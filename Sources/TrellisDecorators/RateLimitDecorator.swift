import Glibc
import TrellisCore

/// Limits the request rate of a function with one token bucket per key (client address, principal,
/// header value, or the whole function). See `TokenBucket` for the bucket's semantics and
/// `KeyedBuckets` for the memory bound.
///
/// Each request takes `cost` tokens at the instant `clock` returns. Then:
/// - Allowed: the request goes on to `next`, and the response gets `RateLimit-Policy` and `RateLimit`
///   fields (see `RateLimitHeaderFields`). When `next` throws an `HTTPError`, the fields are added to
///   the error's headers so the error response carries them too; other errors pass unchanged.
///   `context.rateLimitOutcome` becomes `.allowed`.
/// - Refused: the decorator throws `HTTPError(429, code: "rate_limited")` with `Retry-After` in whole
///   seconds rounded up (at least 1) and both fields, and `next` does not run. The outcome is `.limited`.
/// - Refused in shadow mode: the request goes on unchanged and without the fields, because a limit
///   under trial should not make clients back off. The outcome is `.shadowLimited`, and a warning is
///   logged at most once per second per decorator with the count of suppressed repeats.
///
/// Every decision increments `trellis_ratelimit_decisions_total{function,decorator,outcome}`.
/// Tokens are taken before `next` runs and are not returned when the handler fails.
public struct RateLimitDecorator: BatchDecorator, InlineDecorator {
    /// Monotonic nanoseconds; any origin, only differences matter.
    public typealias Clock = @Sendable () -> UInt64
    /// Suspends for the given nanoseconds, measured on the same time base as `Clock`. Throws
    /// `CancellationError` when the task is cancelled while it waits.
    public typealias Sleep = @Sendable (UInt64) async throws -> Void

    /// The largest capacity accepted, in tokens.
    public static let maxCapacity = 1_000_000_000
    /// The accepted refill rates, in tokens per second.
    public static let refillPerSecondRange: ClosedRange<Double> = 0.000_001...1_000_000_000
    /// The accepted bounds on the number of keys.
    public static let maxKeysRange: ClosedRange<Int> = 1...10_000_000

    public let name: String
    public let key: RateLimitKey
    /// Tokens per request.
    public let cost: Int
    public let shadow: Bool
    /// The policy name in the `RateLimit-Policy` and `RateLimit` fields.
    public let policyName: String

    let buckets: KeyedBuckets
    let clock: Clock
    let sleep: Sleep
    private let policyFieldValue: String
    let metrics: RateLimitMetrics
    let warnings: RateLimitWarningThrottle

    /// Creates a limiter of `capacity` tokens (the burst) per key, refilled at `refillPerSecond` tokens
    /// per second, taking `cost` tokens per request.
    ///
    /// - Parameters:
    ///   - policyName: defaults to `key.label`; 1 to 64 bytes of printable ASCII other than `"` and `\`.
    ///   - maxKeys: the bound on buckets held at once (see `KeyedBuckets`).
    ///   - metrics: where decisions are counted; nil counts nothing.
    ///   - functionName: the function this decorator is built for, or nil when it may serve several.
    ///   - fieldPath: the config path that error messages name, such as `functions.hello.decorators[0]`.
    ///   - clock: the time source of the buckets.
    ///   - sleep: how a batch waits for tokens (see `handleBatch`); it must measure time as `clock` does.
    /// - Throws: `ConfigError` naming the invalid field: `capacity` outside 1...`maxCapacity`,
    ///   `refillPerSecond` outside `refillPerSecondRange`, `cost` outside 1...capacity (a larger cost
    ///   could never be allowed), `maxKeys` outside `maxKeysRange`, an invalid `policyName`, or an
    ///   invalid header field name for `.header`.
    public init(
        key: RateLimitKey = .client, capacity: Int, refillPerSecond: Double, cost: Int = 1, shadow: Bool = false,
        maxKeys: Int = KeyedBuckets.defaultMaxKeys, policyName: String? = nil, metrics: MetricsRegistry? = nil,
        functionName: String? = nil, fieldPath: String = "rateLimit",
        clock: @escaping Clock = RateLimitDecorator.monotonicNanoseconds,
        sleep: @escaping Sleep = RateLimitDecorator.taskSleep
    ) throws(ConfigError) {
        func field(_ name: String) -> String { "\(fieldPath).\(name)" }

        if case .header(let header) = key, !RateLimitKey.isValidHeaderName(header) {
            throw ConfigError(field: field("header"), "must be an HTTP field name such as X-Tenant-Id, found \"\(header)\"")
        }
        guard (1...Self.maxCapacity).contains(capacity) else {
            throw ConfigError(field: field("capacity"), "must be between 1 and \(Self.maxCapacity) tokens, found \(capacity)")
        }
        guard Self.refillPerSecondRange.contains(refillPerSecond) else {
            throw ConfigError(
                field: field("refillPerSecond"),
                "must be between \(Self.refillPerSecondRange.lowerBound) and \(Self.refillPerSecondRange.upperBound) tokens per second, found \(refillPerSecond)")
        }
        guard (1...capacity).contains(cost) else {
            throw ConfigError(field: field("cost"), "must be between 1 and the capacity \(capacity), found \(cost)")
        }
        guard Self.maxKeysRange.contains(maxKeys) else {
            throw ConfigError(
                field: field("maxKeys"),
                "must be between \(Self.maxKeysRange.lowerBound) and \(Self.maxKeysRange.upperBound), found \(maxKeys)")
        }
        let policyName = policyName ?? key.label
        guard RateLimitHeaderFields.isValidPolicyName(policyName) else {
            throw ConfigError(
                field: field("policyName"),
                "must be 1 to \(RateLimitHeaderFields.maxPolicyNameLength) printable ASCII characters without quotes or backslashes, found \"\(policyName)\"")
        }

        do {
            buckets = try KeyedBuckets(capacity: Double(capacity), refillPerSecond: refillPerSecond, maxKeys: maxKeys)
        } catch {
            // Unreachable: capacity and refillPerSecond were range-checked above.
            throw ConfigError(field: field(error.name), error.description)
        }
        self.name = "rateLimit(\(key.label))"
        self.key = key
        self.cost = cost
        self.shadow = shadow
        self.policyName = policyName
        self.clock = clock
        self.sleep = sleep
        self.policyFieldValue = RateLimitHeaderFields.policy(
            name: policyName, capacity: Double(capacity), refillPerSecond: refillPerSecond, cost: Double(cost))
        self.metrics = RateLimitMetrics(registry: metrics, decorator: name, function: functionName)
        self.warnings = RateLimitWarningThrottle(now: clock())
    }

    /// Takes the request's tokens. Passes on the `RateLimit` field value when allowed, nil when refused
    /// in shadow mode (no fields then), and throws the 429 when refused.
    public func before(_ request: Request, context: Context) throws -> InlineDecoratorStep<String?> {
        let bucketKey = key.bucketKey(for: request, context: context)
        let now = clock()
        let decision = buckets.take(bucketKey, cost: Double(cost), at: now)

        if decision.allowed {
            record(.allowed, context: context)
            let limitFieldValue = RateLimitHeaderFields.limit(
                name: policyName, remaining: decision.remaining, cost: Double(cost),
                windowSeconds: RateLimitHeaderFields.wholeSecondsRoundedUp(nanoseconds: decision.nanosecondsUntilFull))
            return .proceed(limitFieldValue)
        }

        // The cost is at most the capacity (checked in init), so the wait is never nil.
        let retryAfter = max(1, RateLimitHeaderFields.wholeSecondsRoundedUp(nanoseconds: decision.waitNanoseconds ?? UInt64.max))
        if shadow {
            record(.shadowLimited, context: context)
            logShadowRefusal(bucketKey: bucketKey, retryAfter: retryAfter, context: context, now: now)
            return .proceed(nil)
        }

        record(.limited, context: context)
        var headers = Headers()
        headers.add("Retry-After", String(retryAfter))
        let limitFieldValue = RateLimitHeaderFields.limit(
            name: policyName, remaining: decision.remaining, cost: Double(cost), windowSeconds: retryAfter)
        addFields(limit: limitFieldValue, to: &headers)
        throw HTTPError(
            429, code: "rate_limited",
            message: "Too many requests for rate limit policy \"\(policyName)\"; retry after \(retryAfter) \(retryAfter == 1 ? "second" : "seconds").",
            headers: headers)
    }

    /// Adds the fields to the response of an allowed request.
    public func after(
        _ response: consuming Response, passage limitFieldValue: String?, request: Request, context: Context
    ) -> Response {
        if let limitFieldValue { addFields(limit: limitFieldValue, to: &response.headers) }
        return response
    }

    /// Adds the fields to an `HTTPError` thrown for an allowed request, and rethrows every error.
    public func afterError(
        _ error: any Error, passage limitFieldValue: String?, request: Request, context: Context
    ) throws -> Response {
        guard let limitFieldValue, var httpError = error as? HTTPError else { throw error }
        addFields(limit: limitFieldValue, to: &httpError.headers)
        throw httpError
    }

    /// Reads `CLOCK_MONOTONIC` in nanoseconds: the default clock.
    @Sendable public static func monotonicNanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    private func addFields(limit: String, to headers: inout Headers) {
        // One reallocation at most, instead of one per field appended.
        headers.reserveCapacity(headers.count + 2)
        headers.add(RateLimitHeaderFields.policyField, policyFieldValue)
        headers.add(RateLimitHeaderFields.limitField, limit)
    }

    /// Suspends the current task with `Task.sleep`: the default `Sleep`.
    @Sendable public static func taskSleep(nanoseconds: UInt64) async throws {
        try await Task.sleep(nanoseconds: nanoseconds)
    }

    func record(_ outcome: RateLimitOutcome, context: Context) {
        context.rateLimitOutcome = outcome
        metrics.record(outcome, function: context.functionName)
    }

    func logShadowRefusal(bucketKey: String, retryAfter: UInt64, context: Context, now: UInt64) {
        guard let suppressed = warnings.admit(at: now) else { return }
        var fields: [(String, JSON)] = [
            ("decorator", .string(name)),
            ("policy", .string(policyName)),
            ("retryAfterSeconds", .int(Int64(clamping: retryAfter))),
            ("suppressed", .int(Int64(suppressed))),
        ]
        // A header value may be a credential (an API key header, for example), so only the other keys are logged.
        if case .header = key {} else { fields.append(("key", .string(bucketKey))) }
        context.logger.warning("rate limit exceeded in shadow mode; request allowed", fields)
    }
}
