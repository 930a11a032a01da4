import TrellisCore

extension LoggingDecorator: BatchDecorator {
    /// Writes one line per batch invocation after it ends, with the message `batch`. Its fields are
    /// the request id (the batch id), function, trigger, the counts of `BatchFailureCounts` (items,
    /// failed, retried, deadLettered), duration and principal. When the handler threw, `error` adds
    /// the error code.
    ///
    /// With `escalate`, a batch with any failed event is logged at least at `warning`, and one whose
    /// handler threw at least at `error`. Event data and attributes are not logged, since they may
    /// carry personal data or credentials.
    public func handleBatch(_ batch: Batch, context: Context, next: BatchHandler) async throws -> BatchResult {
        let start = ContinuousClock.now
        do {
            let result = try await next(batch, context)
            let counts = BatchFailureCounts(batch: batch, result: result)
            let lineLevel = escalate && counts.failed > 0 ? max(level, .warning) : level
            writeBatch(batch, context, start: start, counts: counts, level: lineLevel, errorCode: nil)
            return result
        } catch {
            let code = context.isTimedOut ? "timeout" : (error as? HTTPError)?.code ?? "internal_error"
            writeBatch(
                batch, context, start: start, counts: BatchFailureCounts(failingEveryEventOf: batch),
                level: escalate ? max(level, .error) : level, errorCode: code)
            throw error
        }
    }

    private func writeBatch(
        _ batch: Batch, _ context: Context, start: ContinuousClock.Instant, counts: BatchFailureCounts, level: LogLevel,
        errorCode: String?
    ) {
        let elapsed = ContinuousClock.now - start
        let (seconds, attoseconds) = elapsed.components
        let milliseconds = Double(seconds) * 1000 + Double(attoseconds) / 1e15
        var fields: [(String, JSON)] = [
            ("trigger", .string(batch.trigger)),
            ("items", .int(Int64(counts.items))),
            ("failed", .int(Int64(counts.failed))),
            ("retried", .int(Int64(counts.retried))),
            ("deadLettered", .int(Int64(counts.deadLettered))),
            ("durationMs", .double((milliseconds * 1000).rounded() / 1000)),
            ("principal", context.principal.map { .string($0.id) } ?? .null),
        ]
        if let errorCode { fields.append(("error", .string(errorCode))) }
        context.logger.log(level, "batch", fields)
    }
}
