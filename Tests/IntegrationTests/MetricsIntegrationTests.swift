import Foundation
import Testing
import TrellisTestSupport
import TrellisCore

@Suite struct MetricsIntegrationTests {
    /// Parses Prometheus text with the reference parser from PyPI `prometheus-client` (installed by
    /// `make test`) and returns `name{labels} value` per sample, or the parser's error.
    static func parseWithPrometheusClient(_ text: String) async throws -> (status: Int32, samples: [String], error: String) {
        let script = """
            import sys
            from prometheus_client.parser import text_string_to_metric_families
            for family in text_string_to_metric_families(sys.stdin.read()):
                for sample in family.samples:
                    labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
                    print(f"{family.type} {sample.name}{{{labels}}} {float(sample.value)}")
            """
        let result = try await ProcessRunner.run(["python3", "-c", script], executable: "/usr/bin/env", stdin: text)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        return (result.status, lines, result.stderr)
    }

    @Test func metricsParseAsPrometheusText() async throws {
        try await withGateway(config: #"{"functions": {"hello": {"decorators": [{"type": "rateLimit", "capacity": 1, "refillPerSecond": 0.01}]}}}"#) { (gateway: RunningGateway) async throws in
            #expect(try await TestClient.request(port: gateway.port, "GET", "/function/hello").status == 200)
            #expect(try await TestClient.request(port: gateway.port, "GET", "/function/hello").status == 429)
            #expect(try await TestClient.request(port: gateway.port, "POST", "/function/stats", body: "{}").status == 400)

            let response = try await TestClient.request(port: gateway.port, "GET", "/metrics")
            #expect(response.status == 200)
            #expect(response.header("Content-Type")?.hasPrefix("text/plain; version=0.0.4") == true)

            let parsed = try await Self.parseWithPrometheusClient(response.text)
            #expect(parsed.status == 0, "prometheus_client rejected /metrics: \(parsed.error)")
            if parsed.error.contains("No module named") {
                Issue.record("prometheus_client is missing: run `pip install prometheus-client` (make test does)")
            }
            let samples = parsed.samples
            #expect(samples.contains(#"counter trellis_invocations_total{function="hello",status="200"} 1.0"#), "\(samples)")
            #expect(samples.contains(#"counter trellis_invocations_total{function="hello",status="429"} 1.0"#))
            #expect(samples.contains(#"counter trellis_invocations_total{function="stats",status="400"} 1.0"#))
            #expect(samples.contains { $0.hasPrefix("histogram trellis_invocation_duration_seconds_bucket{function=\"hello\",le=\"+Inf\"} 2.0") })
            #expect(samples.contains(#"counter trellis_ratelimit_decisions_total{decorator="rateLimit(client)",function="hello",outcome="limited"} 1.0"#))
            #expect(samples.contains { $0.hasPrefix("gauge trellis_open_connections{} ") })
        }
    }
}
