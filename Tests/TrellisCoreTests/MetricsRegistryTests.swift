import Testing
import TrellisCore

@Suite struct MetricsRegistryTests {
    @Test func rendersCountersWithLabelsAndHelp() {
        let registry = MetricsRegistry()
        let counter = registry.counter("requests_total", help: "Requests.", labels: ["function": "a\"b"])
        counter.increment(by: 3)
        let text = registry.render()
        #expect(text.contains("# HELP requests_total Requests.\n# TYPE requests_total counter\n"))
        #expect(text.contains(#"requests_total{function="a\"b"} 3"#))
    }

    @Test func sameLabelsReturnSameSeries() {
        let registry = MetricsRegistry()
        registry.counter("c", help: "h", labels: ["x": "1"]).increment()
        registry.counter("c", help: "h", labels: ["x": "1"]).increment()
        #expect(registry.counter("c", help: "h", labels: ["x": "1"]).value == 2)
    }

    @Test func histogramBucketsAreCumulative() {
        let registry = MetricsRegistry()
        let histogram = registry.histogram("d_seconds", help: "h", buckets: [0.1, 1], labels: ["f": "x"])
        histogram.observe(0.05)
        histogram.observe(0.5)
        histogram.observe(5)
        let text = registry.render()
        #expect(text.contains(#"d_seconds_bucket{f="x",le="0.1"} 1"#))
        #expect(text.contains(#"d_seconds_bucket{f="x",le="1"} 2"#))
        #expect(text.contains(#"d_seconds_bucket{f="x",le="+Inf"} 3"#))
        #expect(text.contains(#"d_seconds_sum{f="x"} 5.55"#))
        #expect(text.contains(#"d_seconds_count{f="x"} 3"#))
    }
}
