import Synchronization
import TrellisRuntime

/// The gateway-wide budgets that every event loop draws from: open connections (`maxConnections`) and
/// buffered request body bytes (`maxBufferedBodyBytes`). Both limits hold for the whole gateway, not
/// per loop, so the configured numbers mean the same with 1 or 64 loops.
///
/// Thread safety: every method may be called from any loop thread. The methods take no lock: a
/// reservation is a compare-and-exchange loop on one atomic counter.
final class GatewayCapacity: Sendable {
    private let maxConnections: Int
    private let maxBufferedBodyBytes: Int
    private let openConnections = Atomic<Int>(0)
    private let bufferedBodyBytes = Atomic<Int>(0)

    init(limits: ServerLimits) {
        maxConnections = limits.maxConnections
        maxBufferedBodyBytes = limits.maxBufferedBodyBytes
    }

    /// Counts one more open connection, or returns false when `maxConnections` are open.
    func admitConnection() -> Bool {
        reserve(1, from: openConnections, limit: maxConnections)
    }

    func connectionClosed() {
        openConnections.subtract(1, ordering: .relaxed)
    }

    /// Takes `count` bytes of the body budget, or returns false when that would exceed `maxBufferedBodyBytes`.
    func reserveBodyBytes(_ count: Int) -> Bool {
        reserve(count, from: bufferedBodyBytes, limit: maxBufferedBodyBytes)
    }

    func releaseBodyBytes(_ count: Int) {
        bufferedBodyBytes.subtract(count, ordering: .relaxed)
    }

    /// Adds `count` to `counter` unless the sum would pass `limit`, with a compare-and-exchange loop so
    /// that two loops racing for the last unit cannot both get it.
    private func reserve(_ count: Int, from counter: borrowing Atomic<Int>, limit: Int) -> Bool {
        var current = counter.load(ordering: .relaxed)
        while true {
            guard count <= limit - current else { return false }
            let (exchanged, original) = counter.compareExchange(
                expected: current, desired: current + count, ordering: .relaxed)
            if exchanged { return true }
            current = original
        }
    }
}
