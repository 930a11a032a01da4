import Testing
import TrellisCore
import TrellisGateway
import TrellisTestSupport
import TrellisTriggers

/// An ingress for the hook tests. It claims every path under `/hooks/`, and also `/healthz` and
/// `/function/hello`, which the gateway must keep routing to its own endpoints.
struct HookTestIngress: EventIngress {
    struct Crash: Error {}

    func route(method: String, path: String, query: String) -> IngressRoute? {
        switch path {
        case "/hooks/echo", "/healthz", "/function/hello":
            return IngressRoute(name: "hooks:echo", timeout: .seconds(5)) { request, context in
                var response = Response(status: 202, body: request.body)
                response.headers.add("X-Method", request.method)
                response.headers.add("X-Path", request.path)
                response.headers.add("X-Query", request.query)
                response.headers.add("X-Route", context.functionName)
                response.headers.add("X-Client", request.clientAddress)
                return response
            }
        case "/hooks/slow":
            return IngressRoute(name: "hooks:slow", timeout: .milliseconds(200)) { _, _ in
                try await Task.sleep(for: .seconds(5))
                return Response.text("late")
            }
        case "/hooks/teapot":
            return IngressRoute(name: "hooks:teapot", timeout: .seconds(5)) { _, _ in
                throw HTTPError(418, code: "teapot", message: "This ingress brews tea.")
            }
        case "/hooks/crash":
            return IngressRoute(name: "hooks:crash", timeout: .seconds(5)) { _, _ in throw Crash() }
        default:
            return nil
        }
    }
}

@Suite struct GatewayIngressTests {
    @Test func ingressRouteServed() async throws {
        let harness = try GatewayHarness.start(ingress: HookTestIngress())
        let response = try await TestClient.request(
            port: harness.port, "POST", "/hooks/echo?a=1", headers: [("X-Request-Id", "hook-1")], body: "payload")
        await harness.stop()
        #expect(response.status == 202)
        #expect(response.text == "payload")
        #expect(response.header("X-Method") == "POST")
        #expect(response.header("X-Path") == "/hooks/echo")
        #expect(response.header("X-Query") == "a=1")
        #expect(response.header("X-Route") == "hooks:echo")
        #expect(response.header("X-Client") == "127.0.0.1")
        #expect(response.header("X-Request-Id") == "hook-1")
    }

    @Test func builtinsAndFunctionsComeFirst() async throws {
        let harness = try GatewayHarness.start(ingress: HookTestIngress())
        let health = try await TestClient.request(port: harness.port, "GET", "/healthz")
        let hello = try await TestClient.request(port: harness.port, "GET", "/function/hello")
        let missing = try await TestClient.request(port: harness.port, "GET", "/function/missing")
        await harness.stop()
        #expect(health.status == 200)
        #expect(health.header("X-Route") == nil)
        #expect(hello.status == 200)
        #expect(hello.text == "hello")
        #expect(missing.status == 404)
        #expect(missing.header("X-Route") == nil)
    }

    @Test func unclaimedPathIs404() async throws {
        let harness = try GatewayHarness.start(ingress: HookTestIngress())
        let response = try await TestClient.request(port: harness.port, "POST", "/hooks/other")
        await harness.stop()
        #expect(response.status == 404)
        #expect(response.text.contains("\"not_found\""))
    }

    @Test func deadlineAnswers504() async throws {
        let harness = try GatewayHarness.start(ingress: HookTestIngress())
        let start = ContinuousClock.now
        let response = try await TestClient.request(port: harness.port, "POST", "/hooks/slow")
        let elapsed = ContinuousClock.now - start
        await harness.stop()
        #expect(response.status == 504)
        #expect(response.text.contains("\"timeout\""))
        #expect(elapsed < .seconds(3))
    }

    @Test func thrownErrorsMapped() async throws {
        let harness = try GatewayHarness.start(ingress: HookTestIngress())
        let teapot = try await TestClient.request(port: harness.port, "POST", "/hooks/teapot", headers: [("X-Request-Id", "t-1")])
        let crash = try await TestClient.request(port: harness.port, "POST", "/hooks/crash", headers: [("X-Request-Id", "c-1")])
        await harness.stop()
        #expect(teapot.status == 418)
        #expect(teapot.text.contains("\"teapot\""))
        #expect(teapot.text.contains("\"t-1\""))
        #expect(crash.status == 500)
        #expect(crash.text.contains("\"internal_error\""))
        #expect(!crash.text.contains("Crash"))
        let logged = harness.logs.all.contains { record in
            record.message == "ingress handler failed" && record.fields.contains { $0.0 == "requestId" && $0.1 == .string("c-1") }
        }
        #expect(logged)
    }

    @Test func expectContinueSentForIngress() async throws {
        let harness = try GatewayHarness.start(ingress: HookTestIngress())
        let client = try harness.connect()
        try client.send(
            "POST /hooks/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n")
        let interim = try await client.readResponse()
        try client.send("ok")
        let final = try await client.readResponse()
        await harness.stop()
        #expect(interim.status == 100)
        #expect(final.status == 202)
        #expect(final.text == "ok")
    }
}
