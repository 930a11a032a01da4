import TrellisCore

extension RateLimitDecorator {
    /// The refill time a held-back part of a batch waits for at most before its next part runs, in
    /// seconds, unless one event's cost takes longer to refill. Waiting for the whole remainder at
    /// once would delay every event by the slowest one, and waiting for single tokens would cut the
    /// batch into parts of one event each.
    public static let batchRefillWindowSeconds = 1.0

    /// Limits a batch by delaying it, never by rejecting it: each event costs `cost` tokens.
    ///
    /// The events that fit into the bucket run at once, as one sub-batch passed to `next`. The rest
    /// waits with `sleep` until the bucket has refilled enough for the next part: as many events as
    /// `batchRefillWindowSeconds` of refill pays for (at least one, at most the bucket's capacity).
    /// This repeats until every event ran. The sub-batches keep the events' order, and their results
    /// are merged. No event is dropped and none gets a 429.
    ///
    /// Example: capacity 10, 5 tokens per second, cost 1, a batch of 23 events on a full bucket runs
    /// 10 events, waits 1 s, runs 5, waits 1 s, runs 5, waits 0.6 s and runs the last 3.
    ///
    /// The bucket key follows `RateLimitKey.bucketKey(for:context:)`. In shadow mode the whole batch
    /// runs at once; the events that did not fit count as `shadow_limited` and are logged as for
    /// requests. Each event counts as one decision in `trellis_ratelimit_decisions_total`, and events
    /// that waited are also counted in `trellis_ratelimit_delayed_events_total`.
    ///
    /// Throws `CancellationError` when the task is cancelled while it waits, and rethrows what `next`
    /// throws. Both lose the results of the parts that already ran, so a worker that retries the
    /// batch runs those events again.
    public func handleBatch(_ batch: Batch, context: Context, next: BatchHandler) async throws -> BatchResult {
        let bucketKey = key.bucketKey(for: batch, context: context)
        let unitCost = Double(cost)
        var pending = batch.events[...]
        var taken = buckets.take(bucketKey, upTo: pending.count, cost: unitCost, at: clock())

        if shadow {
            let refused = pending.count - taken.count
            record(taken.count, .allowed, context: context)
            if refused > 0 {
                record(refused, .shadowLimited, context: context)
                let retryAfter = max(1, RateLimitHeaderFields.wholeSecondsRoundedUp(nanoseconds: taken.waitNanoseconds ?? UInt64.max))
                logShadowRefusal(bucketKey: bucketKey, retryAfter: retryAfter, context: context, now: clock())
            }
            return try await next(batch, context)
        }

        var result = BatchResult()
        var waited = false
        while true {
            if taken.count > 0 {
                record(taken.count, .allowed, context: context)
                if waited { metrics.recordDelayed(taken.count, function: context.functionName) }
                var part = batch
                part.events = Array(pending.prefix(taken.count))
                pending = pending.dropFirst(taken.count)
                result = result.merged(with: try await next(part, context))
            }
            if pending.isEmpty { return result }

            let wait = waitNanoseconds(forPending: pending.count, remaining: taken.remaining)
            context.logger.debug(
                "batch waits for rate limit",
                [("decorator", .string(name)), ("pendingEvents", .int(Int64(pending.count))), ("waitMs", .int(Int64(clamping: wait / 1_000_000)))])
            try await sleep(wait)
            try Task.checkCancellation()
            waited = true
            taken = buckets.take(bucketKey, upTo: pending.count, cost: unitCost, at: clock())
        }
    }

    /// Nanoseconds until the bucket, holding `remaining` tokens now, pays for the next part of
    /// `pending` events: the events `batchRefillWindowSeconds` of refill pays for, at least one.
    func waitNanoseconds(forPending pending: Int, remaining: Double) -> UInt64 {
        let unitCost = Double(cost)
        let windowTokens = min(buckets.capacity, buckets.refillPerSecond * Self.batchRefillWindowSeconds)
        let windowEvents = Int(min(Double(pending), (windowTokens / unitCost).rounded(.down)))
        let partEvents = max(1, windowEvents)
        return TokenBucket.nanosecondsToRefill(Double(partEvents) * unitCost - remaining, refillPerSecond: buckets.refillPerSecond)
    }

    private func record(_ count: Int, _ outcome: RateLimitOutcome, context: Context) {
        guard count > 0 else { return }
        context.rateLimitOutcome = outcome
        metrics.record(outcome, function: context.functionName, count: count)
    }
}
