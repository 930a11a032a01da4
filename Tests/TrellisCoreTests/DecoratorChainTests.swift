import Synchronization
import Testing
import TrellisCore

/// Records its name before and after `next` into a shared trace.
private struct Tracing: Decorator {
    let name: String
    let trace: Mutex<[String]>.Shared

    func handle(_ request: Request, context: Context, next: Handler) async throws -> Response {
        trace.append("\(name) before")
        var request = request
        request.headers.add("X-Seen-By", name)
        var response = try await next(request, context)
        trace.append("\(name) after")
        response.headers.add("X-Wrapped-By", name)
        return response
    }
}

private struct AnswerEarly: Decorator {
    let name = "early"
    func handle(_ request: Request, context: Context, next: Handler) async throws -> Response {
        throw HTTPError(403, code: "forbidden", message: "no")
    }
}

private struct Recover: Decorator {
    let name = "recover"
    func handle(_ request: Request, context: Context, next: Handler) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError {
            return .text("recovered from \(error.status)", status: 200)
        }
    }
}

extension Mutex<[String]> {
    final class Shared: Sendable {
        let storage = Mutex<[String]>([])
        func append(_ entry: String) { storage.withLock { $0.append(entry) } }
        var entries: [String] { storage.withLock { $0 } }
    }
}

@Suite struct DecoratorChainTests {
    @Test func firstListedIsOutermost() async throws {
        let trace = Mutex<[String]>.Shared()
        let handler: Handler = { request, _ in
            trace.append("handler sees \(request.headers.values(for: "X-Seen-By").joined(separator: ","))")
            return .text("ok")
        }
        let chain = DecoratorChain.compose(
            [Tracing(name: "outer", trace: trace), Tracing(name: "inner", trace: trace)], around: handler)
        let response = try await chain(Request(), makeContext())
        #expect(trace.entries == ["outer before", "inner before", "handler sees outer,inner", "inner after", "outer after"])
        #expect(response.headers.values(for: "X-Wrapped-By") == ["inner", "outer"])
    }

    @Test func earlyAnswerSkipsInnerLayersAndHandler() async {
        let trace = Mutex<[String]>.Shared()
        let handler: Handler = { _, _ in
            trace.append("handler")
            return .text("ok")
        }
        let chain = DecoratorChain.compose(
            [Tracing(name: "outer", trace: trace), AnswerEarly(), Tracing(name: "inner", trace: trace)], around: handler)
        await #expect(throws: HTTPError.self) { try await chain(Request(), makeContext()) }
        #expect(trace.entries == ["outer before"])
    }

    @Test func outerDecoratorCanCatchInnerError() async throws {
        let chain = DecoratorChain.compose([Recover(), AnswerEarly()], around: { _, _ in .text("unreachable") })
        let response = try await chain(Request(), makeContext())
        #expect(response.status == 200)
        #expect(response.bodyText == "recovered from 403")
    }

    @Test func emptyChainIsTheHandler() async throws {
        let chain = DecoratorChain.compose([], around: { _, _ in .text("plain") })
        #expect(try await chain(Request(), makeContext()).bodyText == "plain")
    }
}
