import Testing
import TrellisCore
import TrellisQueue
import TrellisTriggers

@Suite struct WebhookIngressTests {
    typealias Fixture = IngressTestFixture

    @Test func singleEventAccepted() async throws {
        let fixture = try Fixture()
        let response = try #require(await fixture.postJobs(#"{ "order": 7, "note": "a b" }"#, headers: [("X-Request-Id", "req-1")]))
        #expect(response.status == 202)
        let json = try #require(response.json)
        #expect(json["accepted"]?.intValue == 1)
        #expect(json["duplicate"]?.boolValue == false)
        let ids = try #require(json["ids"]?.arrayValue)
        #expect(ids.count == 1)

        let stored = try await fixture.leaseAll(trigger: "jobs")
        #expect(stored.count == 1)
        #expect(stored.first?.id == ids.first?.stringValue)
        #expect(stored.first?.dataText == #"{"order":7,"note":"a b"}"#)
        #expect(stored.first?.source == "webhook:req-1")
        #expect(stored.first?.attributes["deliveryId"] == "req-1")
        #expect(stored.first?.attributes["contentType"] == "application/json")
        #expect(stored.first?.attributes["remoteAddress"] == "127.0.0.1")
        #expect(fixture.metric(#"trellis_ingress_events_total{trigger="jobs"}"#) == 1)
        #expect(fixture.metric(#"trellis_ingress_requests_total{route="events:jobs",status="202"}"#) == 1)
    }

    @Test func arrayBecomesEvents() async throws {
        let fixture = try Fixture()
        let response = try #require(await fixture.postJobs(#"[{"id": "evt_1", "n": 1}, "two", 3, true]"#))
        #expect(response.status == 202)
        let ids = try #require(response.json?["ids"]?.arrayValue).compactMap(\.stringValue)
        #expect(ids.count == 4)
        let stored = try await fixture.leaseAll(trigger: "jobs")
        #expect(stored.map(\.id) == ids)
        #expect(stored.map(\.dataText) == [#"{"id":"evt_1","n":1}"#, #""two""#, "3", "true"])
        #expect(stored.first?.attributes["senderId"] == "evt_1")
    }

    @Test func senderIDDeduplicatesAfterDelivery() async throws {
        let fixture = try Fixture()
        let first = try #require(await fixture.postJobs(#"{"id": "evt_9", "n": 1}"#))
        let firstID = try #require(first.json?["ids"]?.arrayValue?.first?.stringValue)
        // Delivered and acknowledged: the event is gone from the queue, its id is still remembered.
        let leased = try await fixture.leaseAll(trigger: "jobs")
        try await fixture.queue.ack(leased.map(\.id))
        let replay = try #require(await fixture.postJobs(#"{"id": "evt_9", "n": 1}"#))
        #expect(replay.status == 202)
        #expect(replay.json?["duplicate"] == true)
        #expect(replay.json?["ids"]?.arrayValue?.first?.stringValue == firstID)
        #expect(try await fixture.queue.stats(trigger: "jobs").depth == 0)
        // The same id under another trigger is another event, not a conflict.
        let other = try #require(await fixture.send(
            "POST", "/events/limited", headers: [("Content-Type", "application/json")], text: #"{"id": "evt_9"}"#))
        #expect(other.status == 202)
        #expect(other.json?["duplicate"] == false)
    }

    @Test func githubDeliveryIDIsSource() async throws {
        let fixture = try Fixture()
        let body = Array(#"{"zen":"Keep it logically awesome."}"#.utf8)
        let tag = try OpenSSLHMAC.hexTag(key: Fixture.hubSecret, data: body)
        let response = try #require(await fixture.send("POST", "/events/github", headers: [
            ("Content-Type", "application/json"), ("X-Hub-Signature-256", "sha256=\(tag)"),
            ("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958"),
        ], body: body))
        #expect(response.status == 202)
        let stored = try #require(try await fixture.leaseAll(trigger: "github").first)
        #expect(stored.source == "webhook:72d3162e-cc78-11e3-81ab-4c9367dc0958")
        #expect(stored.attributes["deliveryId"] == "72d3162e-cc78-11e3-81ab-4c9367dc0958")
    }

    @Test func stripeSignatureAtFixedInstant() async throws {
        let fixture = try Fixture()
        let body = Array(#"{"type":"charge.succeeded"}"#.utf8)
        let tag = try OpenSSLHMAC.hexTag(key: Fixture.stripeSecret, data: Array("\(Fixture.t0).".utf8) + body)
        let headers = [("Content-Type", "application/json"), ("Stripe-Signature", "t=\(Fixture.t0),v1=\(tag)")]

        fixture.clock.now = Double(Fixture.t0 + 300)
        #expect(await fixture.send("POST", "/events/stripe", headers: headers, body: body)?.status == 202)

        fixture.clock.now = Double(Fixture.t0 + 301)
        let late = try #require(await fixture.send("POST", "/events/stripe", headers: headers, body: body))
        #expect(late.status == 401)
        #expect(late.errorCode == "signature_timestamp_out_of_tolerance")
    }

    @Test func idempotencyRepeatReturnsSameIDs() async throws {
        let fixture = try Fixture()
        let headers = [("Idempotency-Key", "delivery-42")]
        let first = try #require(await fixture.postJobs(#"[1, 2]"#, headers: headers))
        let second = try #require(await fixture.postJobs(#"[1, 2]"#, headers: headers))
        #expect(first.status == 202)
        #expect(second.status == 202)
        #expect(first.json?["duplicate"]?.boolValue == false)
        #expect(second.json?["duplicate"]?.boolValue == true)
        #expect(second.json?["ids"] == first.json?["ids"])
        #expect(try await fixture.leaseAll(trigger: "jobs").count == 2)
        #expect(fixture.metric(#"trellis_ingress_events_total{trigger="jobs"}"#) == 2)
    }

    @Test func rejectionStatuses() async throws {
        let fixture = try Fixture()
        let json = ("Content-Type", "application/json")
        let tooLarge = "[" + String(repeating: "1,", count: 150) + "1]"
        let cases: [(method: String, target: String, headers: [(String, String)], body: String, status: Int, code: String)] = [
            ("POST", "/events/nope", [json], "{}", 404, "trigger_not_found"),
            ("POST", "/events/nightly", [json], "{}", 404, "trigger_not_found"),
            ("GET", "/events/jobs", [], "", 405, "method_not_allowed"),
            ("PUT", "/events/jobs", [json], "{}", 405, "method_not_allowed"),
            ("POST", "/events/jobs", [], "{}", 415, "unsupported_media_type"),
            ("POST", "/events/jobs", [("Content-Type", "text/plain")], "{}", 415, "unsupported_media_type"),
            ("POST", "/events/jobs", [json], "{", 400, "invalid_json"),
            ("POST", "/events/jobs", [json], "", 400, "invalid_json"),
            ("POST", "/events/jobs", [json], "[]", 400, "empty_batch"),
            ("POST", "/events/jobs", [json], "null", 400, "invalid_event"),
            ("POST", "/events/jobs", [json], "[1, [2]]", 400, "invalid_event"),
            ("POST", "/events/jobs", [json], #"[{"id": ""}]"#, 400, "invalid_event_id"),
            ("POST", "/events/jobs", [json], #"[{"id": "a"}, {"id": "a"}]"#, 400, "duplicate_event_id"),
            ("POST", "/events/jobs", [json, ("Idempotency-Key", "has space")], "{}", 400, "invalid_idempotency_key"),
            ("POST", "/events/jobs", [json, ("Idempotency-Key", String(repeating: "k", count: 256))], "{}", 400, "invalid_idempotency_key"),
            ("POST", "/events/limited", [json], "[1, 2, 3]", 413, "too_many_events"),
            ("POST", "/events/github", [json], tooLarge, 413, "body_too_large"),
            ("POST", "/events/github", [json], "{}", 401, "signature_missing"),
            ("POST", "/events/github", [json, ("X-Hub-Signature-256", "sha256=zz")], "{}", 401, "signature_malformed"),
            ("POST", "/events/github", [json, ("X-Hub-Signature-256", "sha256=" + String(repeating: "0", count: 64))], "{}", 401, "signature_mismatch"),
        ]
        for testCase in cases {
            let response = try #require(await fixture.send(testCase.method, testCase.target, headers: testCase.headers, text: testCase.body))
            #expect(response.status == testCase.status, "\(testCase.method) \(testCase.target) \(testCase.body)")
            #expect(response.errorCode == testCase.code, "\(testCase.method) \(testCase.target) \(testCase.body)")
        }
        for trigger in ["jobs", "limited", "github", "stripe", "nightly"] {
            #expect(try await fixture.queue.stats(trigger: trigger).depth == 0, "\(trigger)")
        }
    }

    @Test func methodNotAllowedNamesPost() async throws {
        let fixture = try Fixture()
        let response = try #require(await fixture.send("GET", "/events/jobs"))
        #expect(response.headers["Allow"] == "POST")
    }

    @Test func signatureCheckedBeforePayload() async throws {
        // A sender without the secret learns nothing about the content rules.
        let fixture = try Fixture()
        let response = try #require(await fixture.send("POST", "/events/github", headers: [("Content-Type", "text/plain")], text: "["))
        #expect(response.status == 401)
    }

    @Test func queueFailureIs503() async throws {
        let fixture = try Fixture()
        fixture.queue.close()
        let response = try #require(await fixture.postJobs("{}"))
        #expect(response.status == 503)
        #expect(response.errorCode == "queue_unavailable")
        #expect(response.headers["Retry-After"] == "1")
        #expect(!response.bodyText.contains("the queue is closed"))
        #expect(!response.bodyText.contains(fixture.queue.path))
        let failure = try #require(fixture.logs.all.first { $0.level == .error && $0.message == "enqueue failed" })
        let logged = try #require(failure.fields.first { $0.0 == "error" }?.1.stringValue)
        #expect(logged.contains("the queue is closed"))
        #expect(fixture.metric(#"trellis_ingress_enqueue_failures_total{trigger="jobs"}"#) == 1)
    }

    @Test func unknownPathsHaveNoRoute() async throws {
        let fixture = try Fixture()
        for target in ["/events/", "/events/jobs/other", "/async-function/", "/other", "/function/resize"] {
            #expect(await fixture.send("POST", target) == nil, "\(target)")
        }
    }

    @Test func deadLettersListed() async throws {
        // Seeded as a worker would: `e1` fails twice and is dead-lettered at t0 + 20 s, `e2` fails once
        // and is dead-lettered later, at t0 + 30 s, so it comes first.
        let fixture = try Fixture()
        let t0 = Double(Fixture.t0)
        _ = try await fixture.queue.enqueue([
            NewEvent(id: "e1", trigger: "jobs", source: "webhook:d1", data: Array(#"{"a":1}"#.utf8)),
            NewEvent(id: "e2", trigger: "jobs", source: "webhook:d2", data: [0xFF, 0x00, 0x41]),
        ], idempotencyKey: nil, window: .zero)
        #expect(try await fixture.leaseAll(trigger: "jobs").map(\.id) == ["e1", "e2"])

        fixture.clock.now = t0 + 10
        try await fixture.queue.retry("e1", after: .zero, error: "timeout")
        fixture.clock.now = t0 + 15
        #expect(try await fixture.leaseAll(trigger: "jobs").map(\.id) == ["e1"])
        fixture.clock.now = t0 + 20
        try await fixture.queue.deadLetter("e1", error: "status 500")
        fixture.clock.now = t0 + 30
        try await fixture.queue.deadLetter("e2", error: "bad data")

        let response = try #require(await fixture.send("GET", "/events/jobs/dlq"))
        #expect(response.status == 200)
        let letters = try #require(response.json?["deadLetters"]?.arrayValue)
        #expect(letters.count == 2)
        #expect(letters[0]["id"]?.stringValue == "e2")
        #expect(letters[0]["dataEncoding"]?.stringValue == "base64")
        #expect(letters[0]["data"]?.stringValue == "/wBB")
        #expect(letters[1]["id"]?.stringValue == "e1")
        #expect(letters[1]["dataEncoding"]?.stringValue == "utf8")
        #expect(letters[1]["data"]?.stringValue == #"{"a":1}"#)
        #expect(letters[1]["source"]?.stringValue == "webhook:d1")
        #expect(letters[1]["lastError"]?.stringValue == "status 500")
        #expect(letters[1]["deadLetteredAt"]?.doubleValue == t0 + 20)
        let attempts = try #require(letters[1]["attempts"]?.arrayValue)
        #expect(attempts.count == 2)
        #expect(attempts.first?["attempt"]?.intValue == 1)
        #expect(attempts.first?["time"]?.doubleValue == t0 + 10)
        #expect(attempts.first?["error"]?.stringValue == "timeout")
        #expect(attempts.last?["attempt"]?.intValue == 2)
        #expect(attempts.last?["time"]?.doubleValue == t0 + 20)
        #expect(attempts.last?["error"]?.stringValue == "status 500")
        #expect(letters[0]["lastError"]?.stringValue == "bad data")
        #expect(letters[0]["deadLetteredAt"]?.doubleValue == t0 + 30)

        let limited = try #require(await fixture.send("GET", "/events/jobs/dlq?limit=1"))
        let newest = try #require(limited.json?["deadLetters"]?.arrayValue)
        #expect(newest.count == 1)
        #expect(newest.first?["id"]?.stringValue == "e2")
    }

    @Test func deadLetterRejections() async throws {
        let fixture = try Fixture()
        let cases: [(method: String, target: String, client: String, status: Int)] = [
            ("GET", "/events/jobs/dlq?limit=0", "127.0.0.1", 400),
            ("GET", "/events/jobs/dlq?limit=1001", "127.0.0.1", 400),
            ("GET", "/events/jobs/dlq?limit=ten", "127.0.0.1", 400),
            ("GET", "/events/jobs/dlq?limit=1000", "127.0.0.1", 200),
            ("GET", "/events/jobs/dlq", "::1", 200),
            ("GET", "/events/jobs/dlq", "192.0.2.7", 403),
            ("POST", "/events/jobs/dlq", "127.0.0.1", 405),
            ("GET", "/events/nope/dlq", "127.0.0.1", 404),
        ]
        for testCase in cases {
            let response = try #require(await fixture.send(testCase.method, testCase.target, clientAddress: testCase.client))
            #expect(response.status == testCase.status, "\(testCase.method) \(testCase.target) from \(testCase.client)")
        }
    }
}
