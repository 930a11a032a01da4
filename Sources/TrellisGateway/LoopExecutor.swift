import CUV
import Glibc
import Synchronization

/// A `TaskExecutor` that runs jobs on the thread of one libuv loop.
///
/// A job enqueued from another thread goes into a mutex-protected queue and wakes the loop with
/// `uv_async_send`. A job enqueued on the loop thread itself goes into a local queue that a `uv_idle`
/// handle drains on the next loop turn, so it costs no wake-up write. Jobs run in the order they were
/// enqueued from each side; the two sides are not ordered against each other.
///
/// Once `close()` ran, jobs are handed to the global concurrent executor so that tasks still alive
/// (cancelled invocations that ignore cancellation) can finish. Closures given to `runOnLoop` after
/// that are dropped, because the loop's handles are gone.
///
/// Thread safety: `enqueue` and `runOnLoop` may be called from any thread. Everything else, and the
/// `local*` state, is confined to the loop thread.
final class LoopExecutor: TaskExecutor, @unchecked Sendable {
    private enum Work {
        case job(UnownedJob)
        case closure(@Sendable () -> Void)
    }

    private struct RemoteQueue {
        var work: [Work] = []
        var closed = false
    }

    private let remote = Mutex(RemoteQueue())
    /// `pthread_self()` of the loop thread, 0 until `attachToCurrentThread()`.
    private let loopThread = Atomic<UInt>(0)
    private let asyncHandle: UnsafeMutablePointer<uv_async_t>
    private let idleHandle: UnsafeMutablePointer<uv_idle_t>

    // Loop-confined.
    private var localWork: [Work] = []
    private var draining: [Work] = []
    private var idleActive = false
    private var localClosed = false

    /// Creates the executor's handles on `loop`. Call on the thread that owns `loop`, before the loop
    /// thread starts. The handles hold an unretained pointer to `self`: the owner keeps the executor
    /// alive until `close()` ran and `uv_run` returned, and their close callbacks only free memory.
    init(loop: UnsafeMutablePointer<uv_loop_t>) {
        asyncHandle = .allocate(capacity: 1)
        idleHandle = .allocate(capacity: 1)
        uv_async_init(loop, asyncHandle) { handle in
            guard let data = handle?.pointee.data else { return }
            Unmanaged<LoopExecutor>.fromOpaque(data).takeUnretainedValue().drainRemote()
        }
        uv_idle_init(loop, idleHandle)
        let unretained = Unmanaged.passUnretained(self).toOpaque()
        asyncHandle.pointee.data = unretained
        idleHandle.pointee.data = unretained
    }

    /// Records the calling thread as the loop thread. The loop thread calls it before `uv_run`.
    func attachToCurrentThread() {
        loopThread.store(UInt(pthread_self()), ordering: .releasing)
    }

    var isLoopThread: Bool {
        loopThread.load(ordering: .acquiring) == UInt(pthread_self())
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        if isLoopThread && !localClosed {
            appendLocal(.job(unowned))
            return
        }
        let accepted = remote.withLock { queue -> Bool in
            guard !queue.closed else { return false }
            queue.work.append(.job(unowned))
            // Sent under the lock, so that no send can follow the `uv_close` in `close()`.
            if queue.work.count == 1 { uv_async_send(asyncHandle) }
            return true
        }
        if !accepted { Self.forwardToGlobal(unowned) }
    }

    /// Runs `body` on the loop thread: at once when called there, else on a later loop turn. Dropped
    /// when the executor is closed.
    func runOnLoop(_ body: @escaping @Sendable () -> Void) {
        if isLoopThread {
            if !localClosed { body() }
            return
        }
        remote.withLock { queue in
            guard !queue.closed else { return }
            queue.work.append(.closure(body))
            if queue.work.count == 1 { uv_async_send(asyncHandle) }
        }
    }

    /// Closes the handles and forwards queued jobs to the global executor. Loop thread only.
    func close() {
        guard !localClosed else { return }
        localClosed = true
        let pending = remote.withLock { queue in
            queue.closed = true
            return queue.work
        }
        for case .job(let job) in localWork + pending { Self.forwardToGlobal(job) }
        localWork = []
        uv_idle_stop(idleHandle)
        uv_close(UnsafeMutablePointer<uv_handle_t>(OpaquePointer(asyncHandle))) { UnsafeMutableRawPointer($0)?.deallocate() }
        uv_close(UnsafeMutablePointer<uv_handle_t>(OpaquePointer(idleHandle))) { UnsafeMutableRawPointer($0)?.deallocate() }
    }

    private func appendLocal(_ work: Work) {
        localWork.append(work)
        if !idleActive {
            idleActive = true
            uv_idle_start(idleHandle) { handle in
                guard let data = handle?.pointee.data else { return }
                Unmanaged<LoopExecutor>.fromOpaque(data).takeUnretainedValue().drainLocal()
            }
        }
    }

    /// Runs the jobs queued on the loop thread before this turn; jobs they enqueue wait for the next turn.
    private func drainLocal() {
        swap(&localWork, &draining)
        for work in draining { run(work) }
        draining.removeAll(keepingCapacity: true)
        if localWork.isEmpty && idleActive && !localClosed {
            idleActive = false
            uv_idle_stop(idleHandle)
        }
    }

    private func drainRemote() {
        remote.withLock { queue in swap(&queue.work, &draining) }
        for work in draining { run(work) }
        draining.removeAll(keepingCapacity: true)
    }

    private func run(_ work: Work) {
        switch work {
        case .job(let job):
            if localClosed {
                Self.forwardToGlobal(job)
            } else {
                job.runSynchronously(on: asUnownedTaskExecutor())
            }
        case .closure(let body):
            if !localClosed { body() }
        }
    }

    private static func forwardToGlobal(_ job: UnownedJob) {
        globalConcurrentExecutor.enqueue(ExecutorJob(job))
    }
}
