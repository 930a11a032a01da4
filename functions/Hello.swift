import TrellisCore

/// `GET /function/hello[?name=Ada]` → `Hello, Ada!` as text. Open to everyone; the config gives it
/// logging and a per-client rate limit. It never suspends, so it is registered inline.
enum Hello {
    static let options = FunctionOptions(
        methods: ["GET"], timeout: .seconds(5), owner: "platform-team", summary: "Greets the caller.")

    /// The maximum name length echoed back, in characters. Longer names are cut.
    static let maxNameLength = 64

    @Sendable static func handle(_ request: Request, _ context: Context) -> Response {
        let name = request.queryValue("name").map { String($0.prefix(maxNameLength)) } ?? "world"
        return .text("Hello, \(name.isEmpty ? "world" : name)!\n")
    }
}
