import TrellisTestSupport
import Foundation
import Testing
import TrellisCore
import TrellisRuntime
@testable import TrellisGateway

/// Requests over real sockets against a running gateway.
@Suite
struct GatewayHTTPTests {
    private static func get(_ path: String, _ extra: String = "") -> String {
        "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\(extra)\r\n"
    }

    private static func post(_ path: String, body: String, _ extra: String = "") -> String {
        "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: \(body.utf8.count)\r\n\(extra)\r\n\(body)"
    }

    @Test func functionReturns200() async throws {
        let harness = try GatewayHarness.start()
        let client = try harness.connect()
        try client.send(Self.get("/function/hello"))
        let response = try await client.readResponse()
        #expect(response.status == 200)
        #expect(response.text == "hello")
        #expect(response.header("Content-Length") == "5")
        #expect(response.header("Connection") == "keep-alive")
        #expect(response.header("Date")?.hasSuffix(" GMT") == true)
        #expect(response.header("X-Request-Id").map(RequestID.isValid) == true)
        await harness.stop()
    }

    @Test func keepAliveReusesConnection() async throws {
        let harness = try GatewayHarness.start()
        let client = try harness.connect()
        for _ in 0..<3 {
            try client.send(Self.get("/function/hello"))
            #expect(try await client.readResponse().status == 200)
        }
        #expect(harness.metric("trellis_connections_total") == 1)
        await harness.stop()
    }

    @Test func pipelinedResponsesInOrder() async throws {
        let harness = try GatewayHarness.start()
        let client = try harness.connect()
        try client.send(Self.post("/function/echo", body: "one") + Self.post("/function/echo", body: "two")
            + Self.post("/function/echo", body: "three"))
        #expect(try await client.readResponse().text == "one")
        #expect(try await client.readResponse().text == "two")
        #expect(try await client.readResponse().text == "three")
        await harness.stop()
    }

    @Test func chunkedBodyEchoed() async throws {
        let harness = try GatewayHarness.start()
        let client = try harness.connect()
        try client.send("POST /function/echo/p?q=1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n")
        let response = try await client.readResponse()
        #expect(response.status == 200)
        #expect(response.text == "Wikipedia")
        #expect(response.header("X-Path") == "/p")
        #expect(response.header("X-Query") == "q=1")
        await harness.stop()
    }

    @Test func expectContinueThenBody() async throws {
        let harness = try GatewayHarness.start()
        let client = try harness.connect()
        try client.send("POST /function/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        let interim = try await client.readResponse()
        #expect(interim.status == 100)
        try client.send("hello")
        let response = try await client.readResponse()
        #expect(response.status == 200)
        #expect(response.text == "hello")
        await harness.stop()
    }

    @Test(arguments: [("/function/missing", 404), ("/function/hello/x?y=1", 405)])
    func unroutableExpectGetsFinalStatus(target: String, status: Int) async throws {
        let harness = try GatewayHarness.start()
        let client = try harness.connect()
        let method = status == 405 ? "PATCH" : "POST"
        try client.send("\(method) \(target) HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        let response = try await client.readResponse()
        #expect(response.status == status)
        #expect(response.header("Connection") == "close")
        #expect(await client.readsEOF())
        await harness.stop()
    }

    @Test func halfCloseAfterPipeliningAnswersAll() async throws {
        let harness = try GatewayHarness.start()
        let client = try harness.connect()
        let request = "POST /function/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\n"
        try client.send(request + "a" + request + "b" + request + "c")
        shutdown(client.fd, Int32(SHUT_WR))
        var bodies: [String] = []
        for _ in 0..<3 { bodies.append(try await client.readResponse().text) }
        #expect(bodies == ["a", "b", "c"])
        #expect(await client.readsEOF())
        await harness.stop()
    }

    @Test func http10ExpectGetsNoContinue() async throws {
        let harness = try GatewayHarness.start()
        let client = try harness.connect()
        try client.send("POST /function/echo HTTP/1.0\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n")
        // Give the gateway time to send a 100 if it wrongly would, then send the body.
        try await Task.sleep(for: .milliseconds(100))
        try client.send("abc")
        let response = try await client.readResponse()
        #expect(response.status == 200)
        #expect(response.text == "abc")
        await harness.stop()
    }

    @Test func bodyBudgetGives503WhenFull() async throws {
        let harness = try GatewayHarness.start {
            $0.bodyBytes = 1000
            $0.maxBufferedBodyBytes = 1500
        }
        let holder = try harness.connect()
        try holder.send("POST /function/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" + String(repeating: "a", count: 500))
        // Wait until the first connection has reserved its 1000 bytes of the 1500-byte budget.
        #expect(await harness.waitUntil { harness.metric("trellis_buffered_body_bytes") == 1000 })

        let refused = try harness.connect()
        try refused.send("POST /function/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
        let busy = try await refused.readResponse()
        #expect(busy.status == 503)
        #expect(busy.header("Retry-After") == "1")
        #expect(try JSON.parse(busy.body)["error"] == "server_busy")
        #expect(await refused.readsEOF())

        try holder.send(String(repeating: "a", count: 500))
        #expect(try await holder.readResponse().status == 200)
        let after = try harness.connect()
        try after.send("POST /function/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" + String(repeating: "b", count: 1000))
        #expect(try await after.readResponse().status == 200)
        #expect(await harness.waitUntil { harness.metric("trellis_buffered_body_bytes") == 0 })
        await harness.stop()
    }

    @Test func bodyOverLimitGets413WithoutContinue() async throws {
        let harness = try GatewayHarness.start { $0.bodyBytes = 10 }
        let client = try harness.connect()
        try client.send("POST /function/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\nExpect: 100-continue\r\n\r\n")
        let response = try await client.readResponse()
        #expect(response.status == 413)
        #expect(response.header("Connection") == "close")
        #expect(await client.readsEOF())
        #expect(harness.metric("trellis_http_errors_total{status=\"413\"}") == 1)
        await harness.stop()
    }

    @Test(arguments: [
        ("GET", "/function/missing", 404, nil as String?),
        ("GET", "/nowhere", 404, nil),
        ("GET", "/function/echo", 405, "POST"),
        ("PUT", "/function/hello", 405, "GET, POST, HEAD"),
        ("DELETE", "/healthz", 405, "GET, HEAD"),
    ])
    func routeErrors(method: String, path: String, status: Int, allow: String?) async throws {
        let harness = try GatewayHarness.start()
        let client = try harness.connect()
        try client.send("\(method) \(path) HTTP/1.1\r\nHost: x\r\nX-Request-Id: route-err-1\r\n\r\n")
        let response = try await client.readResponse()
        #expect(response.status == status)
        #expect(response.header("Allow") == allow)
        let body = try JSON.parse(response.body)
        #expect(body["error"]?.stringValue == (status == 404 ? "not_found" : "method_not_allowed"))
        #expect(body["requestId"]?.stringValue == "route-err-1")
        #expect(response.header("X-Request-Id") == "route-err-1")
        await harness.stop()
    }

    @Test func headHasLengthButNoBody() async throws {
        let harness = try GatewayHarness.start()
        let client = try harness.connect()
        try client.send("HEAD /function/hello HTTP/1.1\r\nHost: x\r\n\r\n" + Self.get("/function/hello"))
        let head = try await client.readResponse(forHead: true)
        #expect(head.status == 200)
        #expect(head.header("Content-Length") == "5")
        let next = try await client.readResponse()
        #expect(next.status == 200)
        #expect(next.text == "hello")
        await harness.stop()
    }

    @Test func builtinEndpoints() async throws {
        let harness = try GatewayHarness.start()
        let client = try harness.connect()
        try client.send(Self.get("/healthz"))
        let health = try await client.readResponse()
        #expect(health.status == 200)
        #expect(try JSON.parse(health.body) == ["status": "ok"])

        try client.send(Self.get("/functions"))
        let list = try JSON.parse(try await client.readResponse().body)
        let names = list.arrayValue?.compactMap { $0["name"]?.stringValue }
        #expect(names == ["hello", "echo", "sleepy", "blocker", "gated", "slow", "hang", "held"])
        #expect(list.arrayValue?.first?["methods"] == ["GET", "POST"])
        #expect(list.arrayValue?[3]["blocking"] == .bool(true))

        try client.send(Self.get("/metrics"))
        let metrics = try await client.readResponse()
        #expect(metrics.header("Content-Type") == "text/plain; version=0.0.4")
        #expect(metrics.text.contains("trellis_requests_total{route=\"/healthz\"} 1"))
        #expect(metrics.text.contains("trellis_open_connections 1"))
        await harness.stop()
    }

    @Test(arguments: [("abc-123_x.y:z", true), ("bad id!", false), ("", false)])
    func requestIDEchoedOrReplaced(incoming: String, kept: Bool) async throws {
        let harness = try GatewayHarness.start()
        let client = try harness.connect()
        try client.send(Self.get("/function/hello", "X-Request-Id: \(incoming)\r\n"))
        let id = try await client.readResponse().header("X-Request-Id")
        #expect((id == incoming) == kept)
        #expect(id.map(RequestID.isValid) == true)
        await harness.stop()
    }

    @Test func timeoutGets504AndConnectionLives() async throws {
        let harness = try GatewayHarness.start()
        let client = try harness.connect()
        let start = ContinuousClock.now
        try client.send(Self.get("/function/sleepy"))
        let response = try await client.readResponse()
        #expect(response.status == 504)
        #expect(ContinuousClock.now - start < .seconds(2))
        #expect(try JSON.parse(response.body)["error"]?.stringValue == "timeout")
        try client.send(Self.get("/function/hello"))
        #expect(try await client.readResponse().text == "hello")
        await harness.stop()
    }

    @Test func slowHeaderGets408() async throws {
        let harness = try GatewayHarness.start { $0.headerTimeoutSeconds = 0.3 }
        let client = try harness.connect()
        let start = ContinuousClock.now
        try client.send("GET /function/hello HTTP/1.1\r\nHost: x\r\n")
        let response = try await client.readResponse()
        let elapsed = ContinuousClock.now - start
        #expect(response.status == 408)
        #expect(elapsed >= .milliseconds(250))
        #expect(elapsed < .seconds(2))
        #expect(response.header("Connection") == "close")
        #expect(await client.readsEOF())
        await harness.stop()
    }

    @Test func idleAfterResponseCloses() async throws {
        let harness = try GatewayHarness.start { $0.idleTimeoutSeconds = 0.3 }
        let client = try harness.connect()
        try client.send(Self.get("/function/hello"))
        #expect(try await client.readResponse().status == 200)
        #expect(await client.readsEOF())
        await harness.stop()
    }

    @Test func requestsPerConnectionLimit() async throws {
        let harness = try GatewayHarness.start { $0.requestsPerConnection = 2 }
        let client = try harness.connect()
        try client.send(Self.get("/function/hello"))
        #expect(try await client.readResponse().header("Connection") == "keep-alive")
        try client.send(Self.get("/function/hello"))
        #expect(try await client.readResponse().header("Connection") == "close")
        #expect(await client.readsEOF())
        await harness.stop()
    }

    @Test func http10Closes() async throws {
        let harness = try GatewayHarness.start()
        let client = try harness.connect()
        try client.send("GET /function/hello HTTP/1.0\r\n\r\n")
        let response = try await client.readResponse()
        #expect(response.status == 200)
        #expect(response.header("Connection") == "close")
        #expect(await client.readsEOF())
        await harness.stop()
    }

    @Test func connectionCloseHonoured() async throws {
        let harness = try GatewayHarness.start()
        let client = try harness.connect()
        try client.send(Self.get("/function/hello", "Connection: close\r\n"))
        #expect(try await client.readResponse().header("Connection") == "close")
        #expect(await client.readsEOF())
        await harness.stop()
    }

    @Test func blockingFunctionDoesNotStallLoop() async throws {
        let harness = try GatewayHarness.start()
        let blocker = try #require(harness.application.function(named: "blocker"))
        let slowClient = try harness.connect()
        try slowClient.send(Self.get("/function/blocker"))
        #expect(await harness.waitUntil { blocker.inFlightCount == 1 })
        let fastClient = try harness.connect()
        try fastClient.send(Self.get("/function/hello"))
        #expect(try await fastClient.readResponse().text == "hello")
        #expect(blocker.inFlightCount == 1)
        harness.gate.open()
        #expect(try await slowClient.readResponse().text == "unblocked")
        await harness.stop()
    }

    @Test func disconnectCancelsInvocation() async throws {
        let harness = try GatewayHarness.start()
        let hang = try #require(harness.application.function(named: "hang"))
        var client: TestClient? = try harness.connect()
        try client?.send(Self.get("/function/hang"))
        #expect(await harness.waitUntil { hang.inFlightCount == 1 })
        client = nil
        #expect(await harness.waitUntil(seconds: 2) { hang.inFlightCount == 0 })
        #expect(await harness.waitUntil { harness.metric("trellis_open_connections") == 0 })
        await harness.stop()
    }

    @Test func concurrencyLimitGets503() async throws {
        let harness = try GatewayHarness.start()
        let gated = try #require(harness.application.function(named: "gated"))
        let first = try harness.connect()
        try first.send(Self.get("/function/gated"))
        #expect(await harness.waitUntil { gated.inFlightCount == 1 })
        let second = try harness.connect()
        try second.send(Self.get("/function/gated"))
        let rejected = try await second.readResponse()
        #expect(rejected.status == 503)
        #expect(rejected.header("Retry-After") == "1")
        harness.gate.open()
        #expect(try await first.readResponse().status == 200)
        await harness.stop()
    }

    @Test func shutdownFinishesInFlightRequest() async throws {
        let harness = try GatewayHarness.start()
        let held = try #require(harness.application.function(named: "held"))
        let busy = try harness.connect()
        try busy.send(Self.get("/function/held"))
        // A partial head keeps this connection out of the idle set, so it gets the draining health check.
        let pending = try harness.connect()
        try pending.send("GET /healthz HTTP/1.1\r\n")
        #expect(await harness.waitUntil { held.inFlightCount == 1 })

        let stopping = Task { await harness.gateway.shutdown(grace: .seconds(5)) }
        #expect(await harness.waitUntil { harness.logs.all.contains { $0.message == "gateway draining" } })
        try pending.send("Host: x\r\n\r\n")
        let health = try await pending.readResponse()
        #expect(health.status == 503)
        #expect(try JSON.parse(health.body) == ["status": "draining"])
        #expect(health.header("Connection") == "close")

        // The invocation is still running, and only now may it finish.
        #expect(held.inFlightCount == 1)
        harness.gate.open()
        let response = try await busy.readResponse()
        #expect(response.status == 200)
        #expect(response.text == "held")
        #expect(response.header("Connection") == "close")
        #expect(await busy.readsEOF())
        await stopping.value
    }

    /// Requests the parser rejects; each gets its status with a JSON error and the connection closes.
    static let malformed: [(name: String, bytes: String, status: Int)] = [
        ("length and chunked", "POST /function/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        ("version 2.0", "GET /function/hello HTTP/2.0\r\nHost: x\r\n\r\n", 505),
        ("unknown coding", "POST /function/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
        ("long target", "GET /" + String(repeating: "a", count: 9_000) + " HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        ("big header", "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "b", count: 17_000) + "\r\n\r\n", 431),
        ("space in name", "GET / HTTP/1.1\r\nHost: x\r\nBad Name: v\r\n\r\n", 400),
        ("bad length", "POST /function/echo HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", 400),
        ("bad chunk size", "POST /function/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
        ("two lengths", "POST /function/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400),
        ("length over limit", "POST /function/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n", 413),
    ]

    @Test(arguments: malformed.indices)
    func malformedRequestRejected(index: Int) async throws {
        let (name, bytes, status) = Self.malformed[index]
        let harness = try GatewayHarness.start()
        let client = try harness.connect()
        try client.send(bytes)
        let response = try await client.readResponse()
        #expect(response.status == status, "\(name)")
        #expect(response.header("Connection") == "close", "\(name)")
        let body = try JSON.parse(response.body)
        #expect(body["error"]?.stringValue?.isEmpty == false, "\(name)")
        #expect(body["requestId"]?.stringValue == response.header("X-Request-Id"), "\(name)")
        #expect(await client.readsEOF(), "\(name)")
        #expect(harness.metric("trellis_http_errors_total{status=\"\(status)\"}") == 1, "\(name)")
        await harness.stop()
    }
}
