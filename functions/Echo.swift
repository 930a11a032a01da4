import TrellisCore

/// `POST /function/echo` returns the request body unchanged with the same `Content-Type`
/// (`application/octet-stream` when none was sent) and `X-Echo-Bytes` giving the body size. It only
/// copies, so it is registered inline. The shipped config gives it the async-only `serverTiming`
/// decorator, so it still runs on the async path there.
enum Echo {
    static let options = FunctionOptions(
        methods: ["POST", "PUT"], timeout: .seconds(5), owner: "platform-team",
        summary: "Returns the request body and its content type.")

    @Sendable static func handle(_ request: Request, _ context: Context) -> Response {
        var headers = Headers()
        headers.add("Content-Type", request.headers["Content-Type"] ?? "application/octet-stream")
        headers.add("X-Echo-Bytes", String(request.body.count))
        return Response(status: 200, headers: headers, body: request.body)
    }
}
