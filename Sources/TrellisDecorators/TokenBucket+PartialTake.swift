extension TokenBucket {
    /// The result of one `take(upTo:cost:at:)`.
    public struct PartialTake: Sendable, Equatable {
        /// How many units were taken, from 0 to the requested count. `count * cost` tokens left the bucket.
        public var count: Int
        /// Tokens left at the instant of the take, after subtracting what was taken.
        public var remaining: Double
        /// Nanoseconds from the take's instant until the bucket contains one more unit (`cost` tokens),
        /// rounded up: 0 when it already does, nil when `cost` exceeds `capacity` and never fits.
        public var waitNanoseconds: UInt64?
        /// Nanoseconds from the take's instant until the bucket is full again, rounded up; 0 when full.
        public var nanosecondsUntilFull: UInt64
    }

    /// Takes as many units of `cost` tokens as the bucket contains at `now`, at most `count` of them.
    ///
    /// This is the all-or-nothing `take` applied unit by unit: it takes as many units as `count`
    /// calls of `take(cost, at: now)` would allow, but in one step and one subtraction.
    /// - Taking 0 units changes nothing, as a refused `take` does.
    /// - A cost of 0 takes all `count` units and changes only the refill bookkeeping.
    /// - A cost above `capacity` takes nothing and reports a nil `waitNanoseconds`.
    /// - Time going backwards refills nothing, as in `take`.
    ///
    /// `count` must be at least 0 and `cost` finite and at least 0; anything else is a programming
    /// error and traps.
    public mutating func take(upTo count: Int, cost: Double, at now: UInt64) -> PartialTake {
        precondition(count >= 0, "token bucket unit count must be >= 0, found \(count)")
        precondition(cost >= 0 && cost.isFinite, "token bucket cost must be a finite number >= 0, found \(cost)")
        let available = tokens(at: now)
        let taken = Self.unitsFitting(count: count, cost: cost, available: available)
        guard taken > 0 else {
            return PartialTake(
                count: 0, remaining: available, waitNanoseconds: cost <= capacity ? nanosecondsToRefill(cost - available) : nil,
                nanosecondsUntilFull: nanosecondsToRefill(capacity - available))
        }

        storedTokens = max(0, available - Double(taken) * cost)
        updatedAt = max(updatedAt, now)
        return PartialTake(
            count: taken, remaining: storedTokens, waitNanoseconds: nanosecondsToRefill(cost - storedTokens),
            nanosecondsUntilFull: nanosecondsToRefill(capacity - storedTokens))
    }

    /// Returns the largest `n <= count` with `n * cost <= available`. The division may round either way, so
    /// the result is checked against the product and corrected by one unit.
    private static func unitsFitting(count: Int, cost: Double, available: Double) -> Int {
        guard cost > 0 else { return count }
        let quotient = (available / cost).rounded(.down)
        guard quotient < Double(count) else { return count }
        var units = max(0, Int(quotient))
        if units < count && Double(units + 1) * cost <= available { units += 1 }
        if units > 0 && Double(units) * cost > available { units -= 1 }
        return units
    }
}
