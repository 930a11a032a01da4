import Synchronization

/// A limit on how often a repeated warning is logged: at most `linesPerSecond` lines per second on
/// average with a burst of one line, so a flood of refusals writes a few lines, not one per request.
/// Each admitted line reports how many were suppressed since the previous one.
final class RateLimitWarningThrottle: Sendable {
    private struct State {
        var bucket: TokenBucket
        var suppressed = 0
    }

    private let state: Mutex<State>

    /// `linesPerSecond` must be a finite number above 0, else this traps.
    init(linesPerSecond: Double = 1, now: UInt64) {
        do {
            state = Mutex(State(bucket: try TokenBucket(capacity: 1, refillPerSecond: linesPerSecond, now: now)))
        } catch {
            preconditionFailure("\(error)")
        }
    }

    /// Returns the number of warnings suppressed since the last admitted one when a line may be
    /// written at `now` (monotonic nanoseconds), or nil after counting this one as suppressed.
    func admit(at now: UInt64) -> Int? {
        state.withLock { state in
            guard state.bucket.take(at: now).allowed else {
                state.suppressed += 1
                return nil
            }
            let suppressed = state.suppressed
            state.suppressed = 0
            return suppressed
        }
    }
}
