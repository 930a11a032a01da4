import Testing
import TrellisCore
import TrellisRuntime
import TrellisTriggers
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
        // Queries: empty, with a second `?`, kept raw.
        ("GET", "/function/hello?", .function("hello", path: "", query: "")),
        ("GET", "/function/hello?q=a?b", .function("hello", path: "", query: "q=a?b")),
        ("GET", "/function/hello/?x", .function("hello", path: "/", query: "x")),
        ("GET", "/function/hello/a/b/", .function("hello", path: "/a/b/", query: "")),
        // Percent-encoding is not decoded: not in the sub-path, the query, or the name.
        ("GET", "/function/hello/a%2Fb?q=%20+x&r=%zz", .function("hello", path: "/a%2Fb", query: "q=%20+x&r=%zz")),
        ("GET", "/function/hello%2Fx", .rejected(404, code: "not_found", allow: nil)),
        ("GET", "/function/%68ello", .rejected(404, code: "not_found", allow: nil)),
        ("GET", "/function//hello", .rejected(404, code: "not_found", allow: nil)),
        ("GET", "/function?x", .rejected(404, code: "not_found", allow: nil)),
        ("GET", "/Function/hello", .rejected(404, code: "not_found", allow: nil)),
        ("GET", "/function/Hello", .rejected(404, code: "not_found", allow: nil)),
        ("GET", "/function/hell", .rejected(404, code: "not_found", allow: nil)),
        ("GET", "/function/helloo", .rejected(404, code: "not_found", allow: nil)),
        // Absolute-form, with and without a path or query.
        ("GET", "http://example.com", .rejected(404, code: "not_found", allow: nil)),
        ("GET", "http://example.com/function/hello?", .function("hello", path: "", query: "")),
        ("GET", "https://h:1/function/hello/a?b?c", .function("hello", path: "/a", query: "b?c")),
        ("GET", "foo+bar://x/function/hello", .function("hello", path: "", query: "")),
        ("GET", "http://example.com/healthz?full", .builtin(.health)),
        ("GET", "/x://y/function/hello", .rejected(404, code: "not_found", allow: nil)),
        ("GET", "a/function/hello", .rejected(404, code: "not_found", allow: nil)),
        ("GET", "", .rejected(404, code: "not_found", allow: nil)),
        // Built-in paths match exactly.
        ("GET", "/healthz/", .rejected(404, code: "not_found", allow: nil)),
        ("GET", "/HEALTHZ", .rejected(404, code: "not_found", allow: nil)),
        ("GET", "/functions/", .rejected(404, code: "not_found", allow: nil)),
        ("HEAD", "/metrics", .builtin(.metrics)),
        ("HEAD", "/function/echo", .rejected(405, code: "method_not_allowed", allow: "POST")),
        // Text that is not ASCII, as a String from code may hold.
        ("GET", "/function/héllo", .rejected(404, code: "not_found", allow: nil)),
        ("GET", "/function/hello/ü?q=ä", .function("hello", path: "/ü", query: "q=ä")),
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

    @Test(arguments: [
        ("/function/h%65llo", "Function \"h%65llo\" was not found."),
        ("/function/héllo/x?y", "Function \"héllo\" was not found."),
        ("/function/", "The path \"/function/\" names no function; use /function/{name}."),
        ("/function//x?q", "The path \"/function//x\" names no function; use /function/{name}."),
        ("/nope?x=1", "No route for \"/nope\"; functions are served under /function/{name}."),
        ("http://h?x", "No route for \"/\"; functions are served under /function/{name}."),
        ("*", "No route for \"*\"; functions are served under /function/{name}."),
    ])
    func notFoundMessages(target: String, message: String) {
        guard case .rejected(let error) = router.route(method: "GET", target: target) else {
            Issue.record("expected a rejection for \(target)")
            return
        }
        #expect(error.message == message)
    }

    @Test func longUnknownNameIsShortenedInTheMessage() {
        let name = String(repeating: "n", count: 200)
        guard case .rejected(let error) = router.route(method: "GET", target: "/function/\(name)") else {
            Issue.record("expected a rejection")
            return
        }
        #expect(error.message == "Function \"\(String(repeating: "n", count: Router.maxQuotedNameBytes))…\" was not found.")
    }

    @Test func methodNotAllowedMessages() {
        guard case .rejected(let function) = router.route(method: "GET", target: "/function/echo"),
              case .rejected(let builtin) = router.route(method: "DELETE", target: "/metrics?x") else {
            Issue.record("expected rejections")
            return
        }
        #expect(function.message == "Function \"echo\" accepts POST, not \"GET\".")
        #expect(builtin.message == "/metrics accepts GET and HEAD, not \"DELETE\".")
    }

    /// The router tests the function prefix before the built-in paths, which gives the same routes only
    /// while no built-in path starts with it.
    @Test func noBuiltinPathUnderTheFunctionPrefix() {
        let prefix = String(decoding: UnsafeBufferPointer(
            start: Router.functionPrefix.utf8Start, count: Router.functionPrefix.utf8CodeUnitCount), as: UTF8.self)
        for endpoint in BuiltinEndpoint.allCases {
            #expect(!endpoint.rawValue.hasPrefix(prefix), "\(endpoint.rawValue)")
        }
    }

    /// Many functions, so that names share hash slots: each is found, and near misses are not.
    @Test func manyFunctionsAreFoundByName() throws {
        let registry = FunctionRegistry()
        let names = (0..<300).map { index in
            ["f", "fn-", "a.b_", "Z"][index % 4] + String(index, radix: index % 2 == 0 ? 10 : 36)
        }
        for name in names {
            registry.register(name) { _, _ in Response.text(name) }
        }
        let router = Router(application: try Application.build(registry: registry, config: RuntimeConfig(), logSink: MemoryLogSink()))
        for name in names {
            guard case .function(let function, let path, let query) = router.route(method: "GET", target: "/function/\(name)/p?q") else {
                Issue.record("\(name) was not found")
                continue
            }
            #expect(function.name == name)
            #expect(path == "/p")
            #expect(query == "q")
            for miss in [name + "x", String(name.dropLast()), name.uppercased() == name ? name.lowercased() : name.uppercased()] {
                if names.contains(miss) { continue }
                guard case .rejected(let error) = router.route(method: "GET", target: "/function/\(miss)") else {
                    Issue.record("\(miss) was found")
                    continue
                }
                #expect(error.status == 404)
            }
        }
    }

    /// Targets outside the function prefix and the built-in paths reach the ingress with their path and
    /// raw query.
    @Test(arguments: [
        ("/events/deploy?x=%20", "/events/deploy", "x=%20"),
        ("/events/deploy", "/events/deploy", ""),
        ("http://h/events/a?", "/events/a", ""),
        ("http://h?q", "/", "q"),
        ("/functionx/y", "/functionx/y", ""),
    ])
    func ingressGetsPathAndQuery(target: String, path: String, query: String) throws {
        let ingress = RecordingIngress()
        let registry = FunctionRegistry()
        registry.register("hello") { _, _ in Response.text("hello") }
        let router = Router(
            application: try Application.build(registry: registry, config: RuntimeConfig(), logSink: MemoryLogSink()),
            ingress: ingress)
        guard case .ingress(let route, let routedPath, let routedQuery) = router.route(method: "POST", target: target) else {
            Issue.record("expected the ingress for \(target)")
            return
        }
        #expect(route.name == "recording")
        #expect(routedPath == path)
        #expect(routedQuery == query)
    }

    @Test func notFoundNamesFunction() {
        guard case .rejected(let error) = router.route(method: "GET", target: "/function/nope/x") else {
            Issue.record("expected a rejection")
            return
        }
        #expect(error.message.contains("\"nope\""))
    }
}

/// Accepts every path, so that the router's split can be seen.
private struct RecordingIngress: EventIngress {
    func route(method: String, path: String, query: String) -> IngressRoute? {
        IngressRoute(name: "recording", timeout: .seconds(1)) { _, _ in Response() }
    }
}
