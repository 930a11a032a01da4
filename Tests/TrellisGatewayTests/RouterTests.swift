import Testing
import TrellisCore
import TrellisRuntime
@testable import TrellisGateway

@Suite struct RouterTests {
    let router: Router

    init() throws {
        let registry = FunctionRegistry()
        registry.register("hello") { _, _ in Response.text("hello") }
        registry.register("echo", options: FunctionOptions(methods: ["POST"])) { request, _ in Response(body: request.body) }
        router = Router(application: try Application.build(registry: registry, config: RuntimeConfig(), logSink: MemoryLogSink()))
    }

    enum Expected {
        case function(String, path: String, query: String)
        case builtin(BuiltinEndpoint)
        case rejected(Int, code: String, allow: String?)
    }

    static let cases: [(method: String, target: String, expected: Expected)] = [
        ("GET", "/function/hello", .function("hello", path: "", query: "")),
        ("POST", "/function/hello/a/b?x=1&y=2", .function("hello", path: "/a/b", query: "x=1&y=2")),
        ("GET", "/function/hello/", .function("hello", path: "/", query: "")),
        ("HEAD", "/function/hello", .function("hello", path: "", query: "")),
        ("GET", "http://example.com:8080/function/hello/x?q", .function("hello", path: "/x", query: "q")),
        ("GET", "http://example.com?q=1", .rejected(404, code: "not_found", allow: nil)),
        ("GET", "/function/missing", .rejected(404, code: "not_found", allow: nil)),
        ("GET", "/function/h%65llo", .rejected(404, code: "not_found", allow: nil)),
        ("GET", "/function/", .rejected(404, code: "not_found", allow: nil)),
        ("GET", "/function", .rejected(404, code: "not_found", allow: nil)),
        ("GET", "*", .rejected(404, code: "not_found", allow: nil)),
        ("GET", "/other", .rejected(404, code: "not_found", allow: nil)),
        ("GET", "/function/echo", .rejected(405, code: "method_not_allowed", allow: "POST")),
        ("DELETE", "/function/hello", .rejected(405, code: "method_not_allowed", allow: "GET, POST, HEAD")),
        ("BREW", "/function/hello", .rejected(405, code: "method_not_allowed", allow: "GET, POST, HEAD")),
        ("GET", "/healthz", .builtin(.health)),
        ("HEAD", "/functions", .builtin(.functions)),
        ("GET", "/metrics?x", .builtin(.metrics)),
        ("POST", "/healthz", .rejected(405, code: "method_not_allowed", allow: "GET, HEAD")),
    ]

    @Test(arguments: cases.indices)
    func routeTable(index: Int) {
        let (method, target, expected) = Self.cases[index]
        let route = router.route(method: method, target: target)
        switch (route, expected) {
        case (.function(let function, let path, let query), .function(let name, let expectedPath, let expectedQuery)):
            #expect(function.name == name, "\(method) \(target)")
            #expect(path == expectedPath, "\(method) \(target)")
            #expect(query == expectedQuery, "\(method) \(target)")
        case (.builtin(let endpoint), .builtin(let expectedEndpoint)):
            #expect(endpoint == expectedEndpoint, "\(method) \(target)")
        case (.rejected(let error), .rejected(let status, let code, let allow)):
            #expect(error.status == status, "\(method) \(target)")
            #expect(error.code == code, "\(method) \(target)")
            #expect(error.headers["Allow"] == allow, "\(method) \(target)")
        default:
            Issue.record("\(method) \(target): got \(route), expected \(expected)")
        }
    }

    @Test func notFoundNamesFunction() {
        guard case .rejected(let error) = router.route(method: "GET", target: "/function/nope/x") else {
            Issue.record("expected a rejection")
            return
        }
        #expect(error.message.contains("\"nope\""))
    }
}
