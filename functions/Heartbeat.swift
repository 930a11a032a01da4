import Synchronization
import TrellisCore

/// An ordinary function fed by the `heartbeat` schedule trigger, one invocation per tick; a GET returns
/// how many ticks arrived and the source of the last one (`schedule:<scheduled time>`).
enum Heartbeat {
    static let options = FunctionOptions(
        methods: ["GET", "POST"], timeout: .seconds(5), owner: "platform-team",
        summary: "Counts schedule ticks; GET shows the count.")

    private static let ticks = Mutex<(count: Int, last: String?)>((0, nil))

    @Sendable static func handle(_ request: Request, _ context: Context) async throws -> Response {
        if request.method == "POST" {
            // Only the schedule may record ticks: its invocations run as a trigger principal, which
            // HTTP input cannot produce.
            guard context.principal?.scheme == "trigger" else {
                throw HTTPError(403, code: "forbidden", message: "Ticks are recorded by the heartbeat schedule only; use GET.")
            }
            let source = request.headers["X-Event-Source"]
            ticks.withLock { $0 = ($0.count + 1, source) }
            return .text("tick recorded\n")
        }
        let (count, last) = ticks.withLock { $0 }
        return .json(["ticks": .int(Int64(count)), "lastTickSource": last.map(JSON.string) ?? .null])
    }
}
