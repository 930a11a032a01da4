/// The reason `CallbackSender` could not deliver a result. Messages name the callback without its query.
public enum CallbackError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The TCP connection could not be made: refused, unreachable, or a socket call failed.
    case connectFailed(url: String, reason: String)
    /// Connecting, sending or receiving took longer than its timeout.
    case timedOut(url: String, during: String)
    /// The connection broke while sending or before a complete status line arrived.
    case connectionFailed(url: String, reason: String)
    /// The receiver's reply does not start with an HTTP/1.x status line.
    case invalidResponse(url: String)
    /// The receiver responded with a status outside 200...299.
    case rejected(url: String, status: Int)

    public var description: String {
        switch self {
        case .connectFailed(let url, let reason): return "callback to \(url) failed: connect: \(reason)"
        case .timedOut(let url, let during): return "callback to \(url) timed out while \(during)"
        case .connectionFailed(let url, let reason): return "callback to \(url) failed: \(reason)"
        case .invalidResponse(let url): return "callback to \(url) failed: the reply is not an HTTP/1.x response"
        case .rejected(let url, let status): return "callback to \(url) was rejected with status \(status)"
        }
    }
}
