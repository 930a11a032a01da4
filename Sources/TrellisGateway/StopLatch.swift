import Dispatch
import Synchronization

/// A one-shot signal that the loop thread finished, awaited by `shutdown` and waited on by
/// `runUntilSignal`. Safe from any thread.
final class StopLatch: Sendable {
    private struct State {
        var signalled = false
        var continuations: [CheckedContinuation<Void, Never>] = []
        var semaphores: [DispatchSemaphore] = []
    }

    private let state = Mutex(State())

    func signal() {
        let (continuations, semaphores) = state.withLock { state in
            state.signalled = true
            defer {
                state.continuations = []
                state.semaphores = []
            }
            return (state.continuations, state.semaphores)
        }
        for continuation in continuations { continuation.resume() }
        for semaphore in semaphores { semaphore.signal() }
    }

    func wait() async {
        await withCheckedContinuation { continuation in
            let done = state.withLock { state in
                if state.signalled { return true }
                state.continuations.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    /// Blocks the calling thread until `signal()`.
    func waitBlocking() {
        let semaphore = DispatchSemaphore(value: 0)
        let done = state.withLock { state in
            if state.signalled { return true }
            state.semaphores.append(semaphore)
            return false
        }
        if !done { semaphore.wait() }
    }
}
