import Synchronization

/// Per-invocation state shared by the decorators and the handler of one request.
///
/// A context belongs to one invocation. Its mutable parts (principal, rate-limit outcome, timeout flag)
/// sit behind a mutex so that an outer decorator can read what an inner one set, even when a handler
/// moved to another executor in between.
public final class Context: Sendable {
    /// The incoming `X-Request-Id` when it is valid, else a generated one. The response echoes it.
    public let requestID: String
    public let functionName: String
    /// The instant the gateway gives up on the invocation and responds 504.
    public let deadline: ContinuousClock.Instant
    /// A logger whose metadata contains the request id and function name.
    public let logger: Logger

    private struct State {
        var principal: Principal?
        var rateLimitOutcome: RateLimitOutcome?
        var timedOut = false
    }
    private let state = Mutex(State())

    public init(requestID: String, functionName: String, deadline: ContinuousClock.Instant, logger: Logger) {
        self.requestID = requestID
        self.functionName = functionName
        self.deadline = deadline
        self.logger = logger.with(["requestId": requestID, "function": functionName])
    }

    /// The authenticated caller, set by an auth decorator; nil before auth or on an open function.
    public var principal: Principal? {
        get { state.withLock { $0.principal } }
        set { state.withLock { $0.principal = newValue } }
    }

    /// The claims of the authenticated caller, or an empty object.
    public var claims: JSON { principal?.claims ?? .object([]) }

    /// The most severe outcome of the rate-limit decorators this request passed so far.
    public var rateLimitOutcome: RateLimitOutcome? {
        get { state.withLock { $0.rateLimitOutcome } }
        set {
            state.withLock { current in
                guard let newValue else { return current.rateLimitOutcome = nil }
                switch (current.rateLimitOutcome, newValue) {
                case (.limited, _): break
                case (.shadowLimited, .allowed): break
                default: current.rateLimitOutcome = newValue
                }
            }
        }
    }

    /// True once the deadline passed and the gateway responded 504; the invocation task is cancelled then.
    public var isTimedOut: Bool { state.withLock { $0.timedOut } }

    /// Records that the deadline passed. The gateway calls this before it cancels the invocation task.
    public func markTimedOut() { state.withLock { $0.timedOut = true } }

    /// True when the invocation should stop: the client went away or the deadline passed.
    public var isCancelled: Bool { Task.isCancelled }
}
