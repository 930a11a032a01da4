import Foundation
import Testing
import TrellisCore
import TrellisDecorators
import TrellisTestSupport
import TrellisTriggers

/// Every trigger kind end to end: real files, real HTTP on 127.0.0.1, real time with short intervals,
/// and a real SQLite queue.
@Suite struct TriggerIntegrationTests {
    static let secret = "integration-webhook-secret-0123456789abcdef"

    @Test func fileTriggerDeliversCSVRowsOnce() async throws {
        let config = #"""
            {"triggers": {"rows": {"kind": "file", "target": "collect", "path": "{folder}/inbox", "pattern": "*.csv",
                                   "split": "csv", "stableSeconds": 0.1, "rescanSeconds": 0.1,
                                   "batch": {"maxItems": 2}}},
             "queue": {"path": "{folder}/queue.db"}}
            """#
        let harness = try TriggerHarness(config: config)
        let inbox = harness.folder + "/inbox"
        // Written under a temporary name, then renamed, as producers of large files do.
        let csv = "date,weather\n2012/01/01,rain\n2012/01/02,\"sun, then fog\"\n2012/01/03,snow\n"
        try csv.write(toFile: inbox + "/day.csv.part", atomically: false, encoding: .utf8)
        try FileManager.default.moveItem(atPath: inbox + "/day.csv.part", toPath: inbox + "/day.csv")

        #expect(await harness.waitUntil { harness.recorder.all("collect").count == 3 })
        let rows = harness.recorder.all("collect").compactMap { try? JSON.parse($0.data) }
        #expect(rows.map { $0["weather"] } == ["rain", "sun, then fog", "snow"])
        #expect(harness.recorder.all("collect").first?.source == "file:day.csv#1")
        #expect(await harness.waitUntil { FileManager.default.fileExists(atPath: inbox + "/done/day.csv") })
        #expect(!FileManager.default.fileExists(atPath: inbox + "/day.csv"))
        await harness.stop()

        // Same file again (same name, size and modification time) after a restart: moved, not delivered.
        let attributes = try FileManager.default.attributesOfItem(atPath: inbox + "/done/day.csv")
        try FileManager.default.copyItem(atPath: inbox + "/done/day.csv", toPath: inbox + "/day.csv")
        try FileManager.default.setAttributes([.modificationDate: attributes[.modificationDate]!], ofItemAtPath: inbox + "/day.csv")
        let restarted = try TriggerHarness(config: config, folder: harness.folder)
        #expect(await restarted.waitUntil { FileManager.default.fileExists(atPath: inbox + "/done/day-1.csv") })
        try await Task.sleep(for: .milliseconds(300))
        #expect(restarted.recorder.all("collect").isEmpty)
        await restarted.stop()
        harness.removeFolder()
    }

    @Test func fileWithInvalidUTF8NameIsReported() async throws {
        let harness = try TriggerHarness(config: #"""
            {"triggers": {"rows": {"kind": "file", "target": "collect", "path": "{folder}/inbox", "stableSeconds": 0.1,
                                   "rescanSeconds": 0.1}},
             "queue": {"path": "{folder}/queue.db"}}
            """#)
        let path = Array((harness.folder + "/inbox/bad").utf8) + [0xFF, 0xFE] + Array(".csv".utf8) + [0]
        let descriptor = path.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_CREAT | O_WRONLY, 0o644) }
        }
        #expect(descriptor >= 0)
        close(descriptor)
        #expect(await harness.waitUntil { harness.logs.all.contains { $0.message.contains("not valid UTF-8") } })
        #expect(harness.logs.all.filter { $0.message.contains("not valid UTF-8") }.count == 1)
        await harness.stop()
        harness.removeFolder()
    }

    @Test func scheduleFiresOnInterval() async throws {
        let harness = try TriggerHarness(config: #"""
            {"triggers": {"tick": {"kind": "schedule", "target": "record", "everySeconds": 0.2, "data": {"hello": "tick"}}},
             "queue": {"path": "{folder}/queue.db"}}
            """#)
        #expect(await harness.waitUntil { harness.recorder.all("record").count >= 3 })
        let ticks = harness.recorder.all("record")
        #expect(ticks.allSatisfy { $0.source.hasPrefix("schedule:") })
        #expect(ticks.allSatisfy { $0.dataText == #"{"hello":"tick"}"# })
        #expect(Set(ticks.map(\.id)).count == ticks.count)
        await harness.stop()
        harness.removeFolder()
    }

    @Test func signedWebhookAcceptsAndDeduplicates() async throws {
        let harness = try TriggerHarness(config: #"""
            {"triggers": {"hooks": {"kind": "webhook", "target": "collect",
                                    "signature": {"scheme": "hub", "secret": "\#(Self.secret)"}}},
             "queue": {"path": "{folder}/queue.db"}}
            """#)
        let body = #"[{"id": "delivery-1", "action": "deployed"}, {"action": "rolled back"}]"#
        let signature = "sha256=" + Digest.hex(Digest.hmacSHA256(key: Array(Self.secret.utf8), data: Array(body.utf8)))
        let headers = [("Content-Type", "application/json"), ("X-Hub-Signature-256", signature), ("Idempotency-Key", "k-1")]

        let accepted = try await TestClient.request(port: harness.port, "POST", "/events/hooks", headers: headers, body: body)
        #expect(accepted.status == 202)
        let ids = try JSON.parse(accepted.body)["ids"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(ids.count == 2)
        let repeated = try await TestClient.request(port: harness.port, "POST", "/events/hooks", headers: headers, body: body)
        #expect(try JSON.parse(repeated.body)["duplicate"] == true)
        #expect(try JSON.parse(repeated.body)["ids"]?.arrayValue?.compactMap(\.stringValue) == ids)

        let forged = try await TestClient.request(
            port: harness.port, "POST", "/events/hooks",
            headers: [("Content-Type", "application/json"), ("X-Hub-Signature-256", "sha256=" + String(repeating: "0", count: 64))],
            body: body)
        #expect(forged.status == 401)

        #expect(await harness.waitUntil { harness.recorder.all("collect").count == 2 })
        try await Task.sleep(for: .milliseconds(200))
        #expect(harness.recorder.all("collect").map(\.id).sorted() == ids.sorted())
        #expect(harness.metric(#"trellis_trigger_succeeded_total{trigger="hooks"}"#) == 2)
        await harness.stop()
        harness.removeFolder()
    }

    @Test func asyncFunctionCallRunsAndQueueTriggerFeeds() async throws {
        let harness = try TriggerHarness(config: #"""
            {"triggers": {"jobs": {"kind": "queue", "target": "record"}}, "queue": {"path": "{folder}/queue.db"}}
            """#)
        let call = try await TestClient.request(
            port: harness.port, "POST", "/async-function/record", headers: [("Content-Type", "text/plain")], body: "later please")
        #expect(call.status == 202)
        let callID = try #require(call.header("X-Call-Id"))
        let unknown = try await TestClient.request(port: harness.port, "POST", "/async-function/nope", body: "x")
        #expect(unknown.status == 404)

        let job = try await TestClient.request(
            port: harness.port, "POST", "/events/jobs", headers: [("Content-Type", "application/json")], body: #"{"job": 7}"#)
        #expect(job.status == 202)
        #expect(await harness.waitUntil { harness.recorder.all("record").count == 2 })
        let received = harness.recorder.all("record")
        #expect(received.contains { $0.id == callID && $0.dataText == "later please" })
        #expect(received.contains { $0.trigger == "jobs" && $0.dataText == #"{"job":7}"# })
        await harness.stop()
        harness.removeFolder()
    }

    @Test func poisonEventIsDeadLetteredAndRedriven() async throws {
        let harness = try TriggerHarness(config: #"""
            {"triggers": {"jobs": {"kind": "queue", "target": "collect",
                                   "retry": {"maxAttempts": 3, "baseDelaySeconds": 0.01, "maxDelaySeconds": 0.05}}},
             "queue": {"path": "{folder}/queue.db"}}
            """#)
        let response = try await TestClient.request(
            port: harness.port, "POST", "/events/jobs", headers: [("Content-Type", "application/json")],
            body: #"[{"kind": "poison"}, {"kind": "fine"}]"#)
        #expect(response.status == 202)
        let poisonID = try #require(try JSON.parse(response.body)["ids"]?.arrayValue?.first?.stringValue)

        #expect(await harness.waitUntil { harness.metric(#"trellis_trigger_dead_lettered_total{trigger="jobs"}"#) == 1 })
        let attempts = harness.recorder.all("collect").filter { $0.id == poisonID }.map(\.attempt)
        #expect(attempts == [1, 2, 3])
        #expect(harness.metric(#"trellis_trigger_retried_total{trigger="jobs"}"#) == 2)

        let listing = try await TestClient.request(port: harness.port, "GET", "/events/jobs/dlq")
        let letters = try #require(try JSON.parse(listing.body)["deadLetters"]?.arrayValue)
        #expect(letters.map { $0["id"] } == [.string(poisonID)])
        #expect(letters.first?["lastError"] == "poison pill")
        #expect(letters.first?["attempts"]?.arrayValue?.count == 3)

        harness.recorder.poisonFails.store(false, ordering: .relaxed)
        #expect(try await harness.queue.redrive(trigger: "jobs", ids: nil) == 1)
        harness.triggers.wake("jobs")
        #expect(await harness.waitUntil { harness.metric(#"trellis_trigger_succeeded_total{trigger="jobs"}"#) == 2 })
        #expect(harness.recorder.all("collect").filter { $0.id == poisonID }.last?.attempt == 1)
        #expect(try await harness.queue.deadLetters(trigger: "jobs", limit: 10).isEmpty)
        await harness.stop()
        harness.removeFolder()
    }

    @Test func rateLimitHoldsEventsPerSecond() async throws {
        // 10 tokens at once, then 50 per second: 110 events need at least (110 - 10) / 50 = 2 s.
        let harness = try TriggerHarness(config: #"""
            {"triggers": {"jobs": {"kind": "queue", "target": "limited", "batch": {"maxItems": 500}}},
             "functions": {"limited": {"decorators": [
                {"type": "rateLimit", "key": "function", "capacity": 10, "refillPerSecond": 50}]}},
             "queue": {"path": "{folder}/queue.db"}}
            """#)
        let body = "[" + (0..<110).map { #"{"n": \#($0)}"# }.joined(separator: ",") + "]"
        let start = ContinuousClock.now
        let response = try await TestClient.request(
            port: harness.port, "POST", "/events/jobs", headers: [("Content-Type", "application/json")], body: body)
        #expect(response.status == 202)
        #expect(await harness.waitUntil(seconds: 20) { harness.recorder.all("limited").count == 110 })
        let elapsed = (ContinuousClock.now - start)
        #expect(elapsed >= .milliseconds(1900), "110 events took \(elapsed)")
        // No more than capacity + rate x time in any window from the start.
        let times = harness.recorder.times("limited")
        for (index, time) in times.enumerated() {
            let allowed = 10 + 50 * (time - start).seconds + 1
            #expect(Double(index + 1) <= allowed, "event \(index + 1) at \(time - start)")
        }
        #expect(harness.metric(#"trellis_trigger_failed_total{trigger="jobs"}"#) == 0)
        await harness.stop()
        harness.removeFolder()
    }
}
