import Foundation

/// A `TaskExecutor` backed by a few dedicated threads, for functions declared `blocking`, so that a
/// handler that blocks its thread (synchronous file or C calls, heavy computation) cannot stall a loop.
///
/// Jobs run in FIFO order on whichever pool thread is free. After `shutdown()` the threads finish the
/// queued jobs and exit, and later jobs go to the global concurrent executor.
final class BlockingPoolExecutor: TaskExecutor, @unchecked Sendable {
    /// Threads in the pool. Four lets a few blocking calls overlap without competing much with the loop
    /// thread for the CPU; more blocking invocations than this wait in the queue.
    static let defaultThreadCount = 4

    private let condition = NSCondition()
    // Guarded by `condition`.
    private var queue: [UnownedJob] = []
    private var stopped = false

    init(threadCount: Int = BlockingPoolExecutor.defaultThreadCount) {
        for index in 0..<max(1, threadCount) {
            let thread = Thread { [self] in workerLoop() }
            thread.name = "trellis-blocking-\(index)"
            thread.start()
        }
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        condition.lock()
        if stopped {
            condition.unlock()
            globalConcurrentExecutor.enqueue(ExecutorJob(unowned))
            return
        }
        queue.append(unowned)
        condition.signal()
        condition.unlock()
    }

    /// Lets the threads exit once the queue is empty. Does not wait for them.
    func shutdown() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    private func workerLoop() {
        while true {
            condition.lock()
            while queue.isEmpty && !stopped { condition.wait() }
            if queue.isEmpty {
                condition.unlock()
                return
            }
            let job = queue.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
