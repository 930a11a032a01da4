import Glibc

/// A thread that calls an action once an armed deadline passes. `StreamLogSink` arms it when a line
/// goes into an empty buffer, and the action writes the buffer. While nothing is armed the thread
/// sleeps in a condition wait, so an idle sink costs no wake-ups, and a busy one costs one wake-up per
/// interval, not one per line.
final class LogFlushTimer: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// The delay from `arm()` to the action, in nanoseconds.
    private let intervalNanoseconds: Int64
    // Guarded by `mutex`.
    private var deadline: timespec?
    private var stopped = false
    private var action: (@Sendable () -> Void)?

    /// Creates a stopped timer; `start(_:)` starts its thread. `interval` must be positive.
    init(interval: Duration) {
        let (seconds, attoseconds) = interval.components
        intervalNanoseconds = seconds * 1_000_000_000 + attoseconds / 1_000_000_000
        precondition(intervalNanoseconds > 0, "LogFlushTimer interval must be positive, found \(interval)")
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        // Deadlines on the monotonic clock, so that a change of the wall clock neither delays nor hurries a flush.
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Starts the thread, which calls `action` each time an armed deadline passes, until `stop()`.
    /// The thread holds a strong reference to the timer until it ends.
    func start(_ action: @escaping @Sendable () -> Void) {
        pthread_mutex_lock(mutex)
        self.action = action
        pthread_mutex_unlock(mutex)
        var thread = pthread_t()
        // Ownership: the retain taken here is released by the thread when `run()` returns.
        let context = Unmanaged.passRetained(self).toOpaque()
        let result = pthread_create(&thread, nil, { context in
            let timer = Unmanaged<LogFlushTimer>.fromOpaque(context!).takeRetainedValue()
            timer.run()
            return nil
        }, context)
        guard result == 0 else {
            // NOTE: without the thread, lines wait for the size threshold, `flush()` or exit.
            Unmanaged<LogFlushTimer>.fromOpaque(context).release()
            return
        }
        pthread_detach(thread)
    }

    /// Sets the deadline to one interval from now, unless a deadline is already set, which is earlier.
    func arm() {
        pthread_mutex_lock(mutex)
        if deadline == nil {
            deadline = Self.monotonicNow(plus: intervalNanoseconds)
            pthread_cond_signal(condition)
        }
        pthread_mutex_unlock(mutex)
    }

    /// Ends the thread after the action it is running, if any, returns. No action runs after that.
    func stop() {
        pthread_mutex_lock(mutex)
        stopped = true
        pthread_cond_signal(condition)
        pthread_mutex_unlock(mutex)
    }

    private func run() {
        pthread_mutex_lock(mutex)
        while !stopped {
            guard var due = deadline else {
                pthread_cond_wait(condition, mutex)
                continue
            }
            let now = Self.monotonicNow(plus: 0)
            if now.tv_sec > due.tv_sec || (now.tv_sec == due.tv_sec && now.tv_nsec >= due.tv_nsec) {
                deadline = nil
                let action = self.action
                pthread_mutex_unlock(mutex)
                action?()
                pthread_mutex_lock(mutex)
                continue
            }
            pthread_cond_timedwait(condition, mutex, &due)
        }
        pthread_mutex_unlock(mutex)
    }

    private static func monotonicNow(plus nanoseconds: Int64) -> timespec {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let total = Int64(now.tv_nsec) + nanoseconds
        now.tv_sec += Int(total / 1_000_000_000)
        now.tv_nsec = Int(total % 1_000_000_000)
        return now
    }
}
