import CUV
import Foundation
import Testing
@testable import TrellisGateway

/// A libuv loop on its own thread with a `LoopExecutor`, stopped by closing the executor.
private final class LoopThread: @unchecked Sendable {
    let loop = UnsafeMutablePointer<uv_loop_t>.allocate(capacity: 1)
    let executor: LoopExecutor
    let stopped = StopLatch()
    private(set) var threadID: UInt = 0

    init() {
        uv_loop_init(loop)
        executor = LoopExecutor(loop: loop)
        let thread = Thread { [self] in
            threadID = UInt(pthread_self())
            executor.attachToCurrentThread()
            uv_run(loop, UV_RUN_DEFAULT)
            uv_loop_close(loop)
            stopped.signal()
        }
        thread.start()
    }

    func stop() async {
        executor.runOnLoop { [executor] in executor.close() }
        await stopped.wait()
        loop.deallocate()
    }
}

@Suite struct LoopExecutorTests {
    @Test func taskRunsOnLoopThread() async {
        let loopThread = LoopThread()
        let executor = loopThread.executor
        let (onLoop, threadID) = await Task(executorPreference: executor) {
            (executor.isLoopThread, UInt(pthread_self()))
        }.value
        #expect(onLoop)
        #expect(threadID == loopThread.threadID)
        await loopThread.stop()
    }

    @Test func resumesOnLoopAfterSuspension() async {
        let loopThread = LoopThread()
        let executor = loopThread.executor
        let onLoop = await Task(executorPreference: executor) {
            try? await Task.sleep(for: .milliseconds(20))
            return executor.isLoopThread
        }.value
        #expect(onLoop)
        await loopThread.stop()
    }

    @Test func childTaskFromLoopStaysOnLoop() async {
        let loopThread = LoopThread()
        let executor = loopThread.executor
        let results = await Task(executorPreference: executor) { () -> [Bool] in
            var children: [Task<Bool, Never>] = []
            for _ in 0..<20 {
                children.append(Task(executorPreference: executor) { executor.isLoopThread })
            }
            var results: [Bool] = []
            for child in children { results.append(await child.value) }
            return results
        }.value
        #expect(results == Array(repeating: true, count: 20))
        await loopThread.stop()
    }

    @Test func runOnLoopFromOtherThread() async {
        let loopThread = LoopThread()
        let executor = loopThread.executor
        #expect(!executor.isLoopThread)
        let onLoop = await withCheckedContinuation { continuation in
            executor.runOnLoop { continuation.resume(returning: executor.isLoopThread) }
        }
        #expect(onLoop)
        await loopThread.stop()
    }

    @Test func tasksFinishAfterClose() async {
        let loopThread = LoopThread()
        let executor = loopThread.executor
        await loopThread.stop()
        let value = await Task(executorPreference: executor) { 42 }.value
        #expect(value == 42)
    }
}
