import Testing
import TrellisCore

@Suite struct ContextTests {
    @Test func rateLimitOutcomeKeepsMostSevere() {
        let context = makeContext()
        context.rateLimitOutcome = .allowed
        #expect(context.rateLimitOutcome == .allowed)
        context.rateLimitOutcome = .shadowLimited
        context.rateLimitOutcome = .allowed
        #expect(context.rateLimitOutcome == .shadowLimited)
        context.rateLimitOutcome = .limited
        context.rateLimitOutcome = .allowed
        #expect(context.rateLimitOutcome == .limited)
    }

    @Test func loggerCarriesRequestIdAndFunction() throws {
        let sink = MemoryLogSink()
        let context = makeContext(function: "fn", requestID: "rid-9", sink: sink)
        context.logger.info("hello", [("n", 1)])
        let line = try JSON.parse(try #require(sink.jsonLines.first))
        #expect(line["requestId"] == "rid-9")
        #expect(line["function"] == "fn")
        #expect(line["msg"] == "hello")
        #expect(line["level"] == "info")
        #expect(line["n"] == 1)
        #expect(line["time"]?.stringValue?.hasSuffix("Z") == true)
    }

    @Test func levelThresholdDropsLowerLines() {
        let sink = MemoryLogSink()
        let logger = Logger(level: .warning, sink: sink)
        logger.info("dropped")
        logger.error("kept")
        #expect(sink.all.map(\.message) == ["kept"])
    }
}
