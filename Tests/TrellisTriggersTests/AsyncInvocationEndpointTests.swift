import Testing
import TrellisCore
import TrellisQueue
import TrellisTriggers

@Suite struct AsyncInvocationEndpointTests {
    typealias Fixture = IngressTestFixture

    @Test func callAcceptedWithCallID() async throws {
        var settings = IngressSettings()
        settings.callbackOrigins = ["127.0.0.1:9000"]
        let fixture = try Fixture(settings: settings)
        let response = try #require(await fixture.send(
            "POST", "/async-function/resize/thumbs/large?w=200",
            headers: [
                ("Content-Type", "image/png"), ("X-Request-Id", "req-9"), ("Authorization", "Bearer secret-token"),
                ("Cookie", "session=abc"), ("X-Callback-Url", "http://127.0.0.1:9000/done?token=t1"),
            ],
            body: [0x89, 0x50, 0x4E, 0x47]))
        #expect(response.status == 202)
        let callID = try #require(response.headers["X-Call-Id"])
        #expect(response.json?["callId"]?.stringValue == callID)

        let stored = try #require(try await fixture.leaseAll(trigger: "async:resize").first)
        #expect(stored.id == callID)
        #expect(stored.source == "async:req-9")
        #expect(stored.data == [0x89, 0x50, 0x4E, 0x47])
        #expect(stored.attributes["callbackUrl"] == "http://127.0.0.1:9000/done?token=t1")
        #expect(!stored.attributes.values.contains { $0.contains("secret-token") || $0.contains("session=abc") })

        let request = AsyncInvocation.request(from: stored)
        #expect(request.method == "POST")
        #expect(request.path == "/thumbs/large")
        #expect(request.query == "w=200")
        #expect(request.body == [0x89, 0x50, 0x4E, 0x47])
        #expect(request.headers["Content-Type"] == "image/png")
        #expect(request.headers["X-Request-Id"] == "req-9")
        #expect(request.headers["X-Call-Id"] == callID)
        #expect(request.headers["Authorization"] == nil)
        #expect(request.headers["Cookie"] == nil)
        #expect(AsyncInvocation.callbackURL(of: stored)?.port == 9000)
        #expect(AsyncInvocation.function(forTrigger: stored.trigger) == "resize")
        #expect(AsyncInvocation.principal(function: "resize").id == "trigger:async:resize")
    }

    @Test func idempotentCallKeepsID() async throws {
        let fixture = try Fixture()
        let headers = [("Idempotency-Key", "job-1")]
        let first = try #require(await fixture.send("POST", "/async-function/resize", headers: headers, text: "a"))
        let second = try #require(await fixture.send("POST", "/async-function/resize", headers: headers, text: "a"))
        #expect(first.headers["X-Call-Id"] != nil)
        #expect(second.headers["X-Call-Id"] == first.headers["X-Call-Id"])
        #expect(second.json?["duplicate"]?.boolValue == true)
        #expect(try await fixture.leaseAll(trigger: "async:resize").count == 1)
    }

    @Test func rejectionStatuses() async throws {
        var settings = IngressSettings()
        settings.asyncMaxBodyBytes = 8
        let fixture = try Fixture(settings: settings)
        let cases: [(method: String, target: String, headers: [(String, String)], body: String, status: Int, code: String)] = [
            ("POST", "/async-function/nope", [], "", 404, "function_not_found"),
            ("POST", "/async-function/ingest", [], "", 404, "batch_function"),
            ("GET", "/async-function/resize", [], "", 405, "method_not_allowed"),
            ("POST", "/async-function/report", [], "", 400, "post_not_accepted"),
            ("POST", "/async-function/resize", [], "123456789", 413, "body_too_large"),
            ("POST", "/async-function/resize", [("Idempotency-Key", "")], "", 400, "invalid_idempotency_key"),
            ("POST", "/async-function/resize", [("X-Callback-Url", "https://127.0.0.1/x")], "", 400, "invalid_callback_url"),
            ("POST", "/async-function/resize", [("X-Callback-Url", "http://example.com/x")], "", 400, "invalid_callback_url"),
            ("POST", "/async-function/resize", [("X-Callback-Url", "http://10.0.0.1/x")], "", 400, "invalid_callback_url"),
            ("POST", "/async-function/resize", [("X-Callback-Url", "http://127.0.0.1:0/x")], "", 400, "invalid_callback_url"),
        ]
        for testCase in cases {
            let response = try #require(await fixture.send(testCase.method, testCase.target, headers: testCase.headers, text: testCase.body))
            #expect(response.status == testCase.status, "\(testCase.method) \(testCase.target) \(testCase.headers)")
            #expect(response.errorCode == testCase.code, "\(testCase.method) \(testCase.target) \(testCase.headers)")
        }
        for function in ["nope", "ingest", "report", "resize"] {
            #expect(try await fixture.queue.stats(trigger: "async:\(function)").depth == 0, "\(function)")
        }
    }

    @Test func batchFunctionMessageNamesTriggers() async throws {
        let fixture = try Fixture()
        let response = try #require(await fixture.send("POST", "/async-function/ingest"))
        #expect(response.json?["message"]?.stringValue?.contains("fed by triggers") == true)
    }

    @Test func callbackOriginAllowList() async throws {
        var settings = IngressSettings()
        settings.callbackOrigins = ["10.0.0.1:8081"]
        let fixture = try Fixture(settings: settings)
        let allowed = try #require(await fixture.send(
            "POST", "/async-function/resize", headers: [("X-Callback-Url", "http://10.0.0.1:8081/cb")]))
        #expect(allowed.status == 202)
        for refusedURL in ["http://127.0.0.1:8081/cb", "http://10.0.0.1:22/cb", "http://10.0.0.1/cb"] {
            let refused = try #require(await fixture.send(
                "POST", "/async-function/resize", headers: [("X-Callback-Url", refusedURL)]))
            #expect(refused.status == 400, "\(refusedURL)")
        }
    }

    @Test func callbacksOffByDefault() async throws {
        let fixture = try Fixture()
        let refused = try #require(await fixture.send(
            "POST", "/async-function/resize", headers: [("X-Callback-Url", "http://127.0.0.1:9000/cb")]))
        #expect(refused.status == 400)
        #expect(refused.json?["message"]?.stringValue?.contains("async.callbackOrigins") == true)
    }

    @Test func queueFailureIs503() async throws {
        let fixture = try Fixture()
        fixture.queue.close()
        let response = try #require(await fixture.send("POST", "/async-function/resize", text: "x"))
        #expect(response.status == 503)
        #expect(response.errorCode == "queue_unavailable")
        #expect(response.headers["Retry-After"] == "1")
        #expect(response.headers["X-Call-Id"] == nil)
        #expect(!response.bodyText.contains("the queue is closed"))
        #expect(fixture.logs.all.contains { $0.level == .error && $0.message == "enqueue failed" })
        #expect(fixture.metric(#"trellis_ingress_enqueue_failures_total{trigger="async:resize"}"#) == 1)
    }
}
