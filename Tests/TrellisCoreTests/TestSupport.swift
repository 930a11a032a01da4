import TrellisCore

func makeContext(function: String = "test", requestID: String = "req-1", timeout: Duration = .seconds(5), sink: MemoryLogSink = MemoryLogSink()) -> Context {
    Context(requestID: requestID, functionName: function, deadline: .now + timeout, logger: Logger(level: .trace, sink: sink))
}
