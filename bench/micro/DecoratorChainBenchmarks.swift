import TrellisCore

/// The cost a chain adds per decorator: chains of 0, 1, 4 and 16 pass-through decorators around a
/// handler that returns a prebuilt response, called from one task as the gateway calls a function.
enum DecoratorChainBenchmarks {
    static let chainLengths = [0, 1, 4, 16]
    static let calls = 500_000

    /// A decorator that only calls `next`.
    struct PassThrough: Decorator {
        let name = "passThrough"

        func handle(_ request: Request, context: Context, next: Handler) async throws -> Response {
            try await next(request, context)
        }
    }

    static func run() async -> [Measurement] {
        let response = Response.text("Hello, world!\n")
        let handler: Handler = { _, _ in response }
        let request = Request(method: "GET", query: "name=Ada", clientAddress: "127.0.0.1")
        let context = Context(
            requestID: "bench-0001", functionName: "hello", deadline: .now + .seconds(3600),
            logger: Logger(level: .error, sink: MemoryLogSink()))

        var results: [Measurement] = []
        for length in chainLengths {
            let chain = DecoratorChain.compose(Array(repeating: PassThrough(), count: length), around: handler)
            results.append(await Stopwatch.measureAsync("decoratorChain", "chain of \(length) pass-through decorators", operations: calls) {
                for _ in 0..<calls {
                    consume(try? await chain(request, context))
                }
            })
        }
        return results
    }
}
