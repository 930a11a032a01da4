/// The wait before a failed event's next delivery: exponential backoff with full jitter.
///
/// After attempt `n` (1 for the first delivery) the wait is uniform in [0, ceiling(n)], where
/// ceiling(n) = min(maxDelay, baseDelay * 2^(n-1)). Waits are whole nanoseconds. The random source is
/// passed in, so tests can fix it. An attempt below 1 counts as 1.
///
/// A handler's `retryAfter` replaces the random wait, without jitter, but is clamped to [0, maxDelay]:
/// `maxDelay` is the operator's bound on any wait between two deliveries, so a handler cannot park an
/// event longer than the config allows. A handler that needs longer waits needs a larger `maxDelay`.
public struct RetryBackoff: Sendable, Equatable {
    public let settings: RetrySettings

    public init(settings: RetrySettings) { self.settings = settings }

    /// True when an event that failed on delivery `attempt` gets another delivery (attempt < maxAttempts).
    public func shouldRetry(afterAttempt attempt: Int) -> Bool { attempt < settings.maxAttempts }

    /// The largest wait after `attempt`, in nanoseconds: min(maxDelay, baseDelay * 2^(attempt-1)).
    public func ceilingNanoseconds(afterAttempt attempt: Int) -> UInt64 {
        let maximum = Self.nanoseconds(settings.maxDelay)
        let base = Self.nanoseconds(settings.baseDelay)
        let exponent = max(attempt, 1) - 1
        guard exponent < 64 else { return base == 0 ? 0 : maximum }
        let (scaled, overflow) = base.multipliedReportingOverflow(by: 1 << UInt64(exponent))
        return overflow || (exponent > 0 && scaled >> UInt64(exponent) != base) ? maximum : min(maximum, scaled)
    }

    /// Returns the wait after `attempt`: `retryAfter` clamped to [0, maxDelay] when the handler gave one,
    /// otherwise a uniform draw in [0, ceiling]. The draw maps one 64-bit value `r` to
    /// `floor(r * (ceiling + 1) / 2^64)`, whose bias is below ceiling / 2^64, about 2e-8 for 5 minutes.
    public func delay(afterAttempt attempt: Int, retryAfter: Duration? = nil, using random: inout some RandomNumberGenerator) -> Duration {
        if let retryAfter {
            let clamped = min(max(retryAfter, .zero), settings.maxDelay)
            return clamped
        }
        let ceiling = ceilingNanoseconds(afterAttempt: attempt)
        let draw = random.next()
        let nanoseconds = ceiling == UInt64.max ? draw : draw.multipliedFullWidth(by: ceiling + 1).high
        return .nanoseconds(Int64(clamping: nanoseconds))
    }

    /// `duration` in whole nanoseconds; negative durations count as 0, and huge ones saturate.
    static func nanoseconds(_ duration: Duration) -> UInt64 {
        guard duration > .zero else { return 0 }
        let (seconds, attoseconds) = duration.components
        let (whole, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return UInt64.max }
        let (total, carry) = whole.addingReportingOverflow(UInt64(attoseconds / 1_000_000_000))
        return carry ? UInt64.max : total
    }
}
