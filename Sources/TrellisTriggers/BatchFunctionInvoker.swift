import TrellisCore
import TrellisRuntime

/// Delivers batches to a batch function with the trigger as principal, its deadline enforced: when
/// `timeout` passes, the invocation is cancelled and every event fails with a timeout reason.
struct BatchFunctionInvoker: BatchInvoking {
    let application: Application
    let function: ResolvedBatchFunction
    /// How often a worker re-checks a function that is at its concurrency limit. 10 ms.
    static let busyPoll: Duration = .milliseconds(10)

    var functionName: String { function.name }
    var timeout: Duration { function.timeout }

    func invokeBatch(_ batch: Batch, principal: Principal) async -> BatchResult {
        // Wait for a free slot rather than spend every event's attempt on a concurrency rejection.
        while function.inFlightCount >= function.maxConcurrency && !Task.isCancelled {
            try? await Task.sleep(for: Self.busyPoll)
        }
        let context = application.makeContext(for: function, batchID: RequestID.generate(), principal: principal)
        return await withTaskGroup(of: BatchResult?.self) { group in
            group.addTask { await function.invoke(batch, context: context) }
            group.addTask {
                try? await Task.sleep(until: context.deadline, clock: .continuous)
                return nil
            }
            var result: BatchResult?
            while let next = await group.next() {
                if let next {
                    result = next
                    break
                }
                if !Task.isCancelled {
                    context.markTimedOut()
                    group.cancelAll()
                }
            }
            group.cancelAll()
            return result ?? Settlement.failingAll(batch.events, reason: "timed out: the batch ran past its deadline")
        }
    }
}
