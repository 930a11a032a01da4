/// A token bucket: a store of up to `capacity` tokens that refills at `refillPerSecond` tokens per
/// second, from which each request takes a cost.
///
/// Units: tokens are a `Double` count, the rate is tokens per second, and time is a monotonic
/// instant in nanoseconds as a `UInt64`, passed in by the caller (for example `clock_gettime` with
/// `CLOCK_MONOTONIC`). The bucket never reads a clock itself, so tests can step through fixed instants.
/// The origin of the instants does not matter, because only differences are used.
///
/// Capacity is the burst: a full bucket allows `capacity / cost` takes at one instant. Over a long
/// interval `d` seconds, at most `capacity + refillPerSecond * d` tokens can be taken.
///
/// Refill is lazy. The bucket stores its token count as of `updatedAt`, and every read adds
/// `refillPerSecond * elapsed` tokens up to `capacity`. A new bucket starts full.
///
/// Edge cases:
/// - A refused take changes nothing: the stored tokens and `updatedAt` stay as they were.
/// - An instant earlier than `updatedAt` (time going backwards) refills nothing, and an allowed take at
///   such an instant subtracts its cost without moving `updatedAt` backwards.
/// - A cost of 0 is always allowed and changes only the refill bookkeeping.
/// - A cost above `capacity` can never be allowed; `take` returns `allowed == false` and a nil
///   `waitNanoseconds`, and changes nothing.
///
/// A `TokenBucket` is a value and has no lock. Share one between threads only behind a lock, as
/// `KeyedBuckets` does.
public struct TokenBucket: Sendable, Equatable {
    /// The maximum token count, which is also the burst size. Finite and greater than 0.
    public let capacity: Double
    /// The refill rate in tokens per second. Finite and greater than 0.
    public let refillPerSecond: Double
    /// The token count as of `updatedAt`, between 0 and `capacity`. Use `tokens(at:)` for the current value.
    public internal(set) var storedTokens: Double
    /// The monotonic instant, in nanoseconds, that `storedTokens` is valid for.
    public internal(set) var updatedAt: UInt64

    /// A parameter passed to `init` that is out of range; `name` is the parameter label.
    public struct InvalidParameter: Error, Sendable, Equatable, CustomStringConvertible {
        public let name: String
        public let value: Double

        public var description: String {
            "invalid token bucket \(name) \(value): it must be a finite number greater than 0"
        }
    }

    /// The result of one `take`.
    public struct Decision: Sendable, Equatable {
        /// True when the cost was taken from the bucket.
        public var allowed: Bool
        /// Tokens left at the instant of the take: after subtracting the cost when allowed, or the
        /// refilled but untouched count when refused.
        public var remaining: Double
        /// Nanoseconds from the take's instant until the bucket contains the requested cost, rounded up:
        /// 0 when allowed, nil when the cost exceeds `capacity` and can never be allowed.
        /// Saturates at `UInt64.max` for waits longer than about 584 years.
        public var waitNanoseconds: UInt64?
        /// Nanoseconds from the take's instant until the bucket is full again, rounded up; 0 when full.
        public var nanosecondsUntilFull: UInt64
    }

    /// Creates a full bucket whose clock starts at `now` (nanoseconds).
    ///
    /// Throws `InvalidParameter` when `capacity` or `refillPerSecond` is not a finite number above 0.
    public init(capacity: Double, refillPerSecond: Double, now: UInt64) throws(InvalidParameter) {
        guard capacity.isFinite, capacity > 0 else { throw InvalidParameter(name: "capacity", value: capacity) }
        guard refillPerSecond.isFinite, refillPerSecond > 0 else {
            throw InvalidParameter(name: "refillPerSecond", value: refillPerSecond)
        }
        self.init(checkedCapacity: capacity, refillPerSecond: refillPerSecond, now: now)
    }

    /// Creates a full bucket from parameters the caller has already validated, such as a copy of
    /// another bucket's parameters.
    init(checkedCapacity capacity: Double, refillPerSecond: Double, now: UInt64) {
        self.capacity = capacity
        self.refillPerSecond = refillPerSecond
        self.storedTokens = capacity
        self.updatedAt = now
    }

    /// Returns the token count at `now`, refilled lazily and capped at `capacity`. An instant before
    /// `updatedAt` returns `storedTokens`.
    public func tokens(at now: UInt64) -> Double {
        guard now > updatedAt else { return storedTokens }
        let refill = Double(now - updatedAt) * refillPerSecond / Self.nanosecondsPerSecond
        return min(capacity, storedTokens + refill)
    }

    /// True when the bucket contains `capacity` tokens at `now`. A full bucket carries no state beyond
    /// its parameters, so a table of buckets may drop it and create a new one later with no change
    /// in behaviour.
    public func isFull(at now: UInt64) -> Bool {
        tokens(at: now) >= capacity
    }

    /// Nanoseconds from `now` until the bucket is full again, rounded up; 0 when it is full.
    public func nanosecondsUntilFull(at now: UInt64) -> UInt64 {
        nanosecondsToRefill(capacity - tokens(at: now))
    }

    /// Takes `cost` tokens at `now` when the bucket contains at least that many, else changes nothing.
    ///
    /// `cost` must be finite and at least 0; a negative or NaN cost is a programming error and traps.
    public mutating func take(_ cost: Double = 1, at now: UInt64) -> Decision {
        precondition(cost >= 0 && cost.isFinite, "token bucket cost must be a finite number >= 0, found \(cost)")
        let available = tokens(at: now)
        guard cost <= capacity else {
            return Decision(
                allowed: false, remaining: available, waitNanoseconds: nil,
                nanosecondsUntilFull: nanosecondsToRefill(capacity - available))
        }
        guard available >= cost else {
            return Decision(
                allowed: false, remaining: available, waitNanoseconds: nanosecondsToRefill(cost - available),
                nanosecondsUntilFull: nanosecondsToRefill(capacity - available))
        }

        storedTokens = available - cost
        updatedAt = max(updatedAt, now)
        return Decision(
            allowed: true, remaining: storedTokens, waitNanoseconds: 0,
            nanosecondsUntilFull: nanosecondsToRefill(capacity - storedTokens))
    }

    static let nanosecondsPerSecond = 1_000_000_000.0

    /// Nanoseconds the refill takes to add `deficit` tokens, rounded up and saturated at `UInt64.max`.
    func nanosecondsToRefill(_ deficit: Double) -> UInt64 {
        Self.nanosecondsToRefill(deficit, refillPerSecond: refillPerSecond)
    }

    /// Nanoseconds a refill of `refillPerSecond` takes to add `deficit` tokens, rounded up and
    /// saturated at `UInt64.max`; 0 for a deficit of 0 or less.
    static func nanosecondsToRefill(_ deficit: Double, refillPerSecond: Double) -> UInt64 {
        guard deficit > 0 else { return 0 }
        let nanoseconds = (deficit / refillPerSecond * Self.nanosecondsPerSecond).rounded(.up)
        // UInt64.max is not exactly representable as a Double; the nearest Double (2^64) is out of range.
        guard nanoseconds < 18_446_744_073_709_551_616.0 else { return UInt64.max }
        return UInt64(nanoseconds)
    }
}
