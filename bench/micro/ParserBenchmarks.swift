import TrellisHTTP

/// Parser cost per request: a typical browser-like GET of about 300 bytes, fed one request at a time
/// and as a pipelined buffer of 100, through one reused parser as a keep-alive connection uses it.
enum ParserBenchmarks {
    static let pipelineDepth = 100
    static let singleRequests = 200_000
    static let pipelinedBuffers = 2_000

    /// A GET whose head is 300 bytes, padded in the User-Agent value.
    static let typicalGet: [UInt8] = {
        let prefix = "GET /function/hello?name=Ada HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
        let suffix = "\r\nAccept: text/html,application/json;q=0.9,*/*;q=0.8\r\nAccept-Encoding: gzip, deflate\r\n"
            + "Accept-Language: en-US,en;q=0.9\r\nConnection: keep-alive\r\n\r\n"
        let agentStart = "User-Agent: Mozilla/5.0 (X11; Linux x86_64) bench"
        let padding = max(0, 300 - prefix.utf8.count - suffix.utf8.count - agentStart.utf8.count)
        return Array((prefix + agentStart + String(repeating: "x", count: padding) + suffix).utf8)
    }()

    static func run() -> [Measurement] {
        var results: [Measurement] = []
        var parser = HTTPRequestParser()
        results.append(Stopwatch.measure("parser", "one \(typicalGet.count)-byte GET per append", operations: singleRequests) {
            for _ in 0..<singleRequests {
                parser.append(typicalGet)
                consume(drain(&parser))
            }
        })

        let pipelined = Array(Array(repeating: typicalGet, count: pipelineDepth).joined())
        results.append(Stopwatch.measure(
            "parser", "\(pipelineDepth) pipelined GETs in one append, per request", operations: pipelinedBuffers * pipelineDepth
        ) {
            for _ in 0..<pipelinedBuffers {
                parser.append(pipelined)
                consume(drain(&parser))
            }
        })
        return results
    }

    /// Reads every event the buffered bytes hold and returns the number of completed requests. A parse
    /// error means the benchmark input is wrong, so it stops the run.
    static func drain(_ parser: inout HTTPRequestParser) -> Int {
        var completed = 0
        do {
            while let event = try parser.next() {
                if case .end = event { completed += 1 }
            }
        } catch {
            fatalError("trellis-bench: the benchmark request does not parse: \(error)")
        }
        return completed
    }
}
