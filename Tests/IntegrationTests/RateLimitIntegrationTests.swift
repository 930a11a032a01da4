import Foundation
import Testing
import TrellisTestSupport
import TrellisCore

@Suite struct RateLimitIntegrationTests {
    /// Three tokens, one more every 4 s: five requests arrive well before the first refill even on a
    /// loaded machine, so the test does not depend on timing.
    static let config = #"""
        {"functions": {"hello": {"decorators": [
            {"type": "rateLimit", "key": "client", "capacity": 3, "refillPerSecond": 0.25, "policyName": "burst"}]}}}
        """#

    @Test func burstBeyondBucketGets429ThenRecovers() async throws {
        try await withGateway(config: Self.config) { (gateway: RunningGateway) async throws in
            var statuses: [Int] = []
            var refused: TestResponse?
            for _ in 0..<5 {
                let response = try await TestClient.request(port: gateway.port, "GET", "/function/hello")
                statuses.append(response.status)
                if response.status == 200 {
                    #expect(response.header("RateLimit")?.hasPrefix("\"burst\";r=") == true)
                    #expect(response.header("RateLimit-Policy") == "\"burst\";q=3;w=12")
                }
                if response.status == 429 && refused == nil { refused = response }
            }
            #expect(statuses.prefix(3) == [200, 200, 200])
            #expect(statuses.suffix(2) == [429, 429])

            let limited = try #require(refused)
            let retryAfter = try #require(limited.header("Retry-After").flatMap { Int($0) })
            #expect((1...4).contains(retryAfter))
            #expect(limited.header("RateLimit-Policy") == "\"burst\";q=3;w=12")
            #expect(limited.header("RateLimit")?.hasPrefix("\"burst\";r=0;t=") == true)
            #expect(limited.header("Content-Type") == "application/json")
            let body = try JSON.parse(limited.body)
            #expect(body["error"] == "rate_limited")

            // Retry-After rounds the wait up to whole seconds, so after it one request must pass.
            try await Task.sleep(for: .seconds(retryAfter) + .milliseconds(200))
            let recovered = try await TestClient.request(port: gateway.port, "GET", "/function/hello")
            #expect(recovered.status == 200)
            #expect(gateway.application.metrics.render().contains(
                #"trellis_ratelimit_decisions_total{function="hello",decorator="rateLimit(client)",outcome="limited"} 2"#))
        }
    }

    @Test func shadowModeCountsButServes() async throws {
        let config = #"""
            {"functions": {"hello": {"decorators": [
                {"type": "logging"},
                {"type": "rateLimit", "capacity": 1, "refillPerSecond": 0.01, "shadow": true}]}}}
            """#
        try await withGateway(config: config) { (gateway: RunningGateway) async throws in
            for _ in 0..<3 {
                #expect(try await TestClient.request(port: gateway.port, "GET", "/function/hello").status == 200)
            }
            let outcomes = gateway.logLines.filter { $0["msg"] == "invocation" }.compactMap { $0["rateLimit"]?.stringValue }
            #expect(outcomes == ["allowed", "shadow_limited", "shadow_limited"])
        }
    }
}
