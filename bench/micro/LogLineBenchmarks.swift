import Glibc
import TrellisCore

/// The cost of one JSON log line of the shape `LoggingDecorator` writes, through `Logger` and
/// `StreamLogSink` to /dev/null, next to a bare `write(2)` of a line of the same length, so the
/// difference is the formatting.
enum LogLineBenchmarks {
    static let lines = 200_000

    static func run() -> [Measurement] {
        let devNull = open("/dev/null", O_WRONLY)
        precondition(devNull >= 0, "trellis-bench: cannot open /dev/null for writing")
        defer { close(devNull) }

        let logger = Logger(level: .info, sink: StreamLogSink(fileDescriptor: devNull, format: .json))
            .with(["requestId": "0192f1c4e7a94b3c", "function": "hello"])
        let fields: [(String, JSON)] = [
            ("method", .string("GET")), ("path", .string("/")), ("status", .int(200)),
            ("durationMs", .double(0.042)), ("bytesIn", .int(0)), ("bytesOut", .int(14)),
            ("client", .string("127.0.0.1")), ("principal", .string("bench")), ("rateLimit", .string("allowed")),
        ]
        var results: [Measurement] = []
        results.append(Stopwatch.measure("logLine", "Logger.info JSON line to /dev/null", operations: lines) {
            for _ in 0..<lines {
                logger.info("invocation", fields)
            }
        })

        let memory = MemoryLogSink()
        Logger(level: .info, sink: memory).with(["requestId": "0192f1c4e7a94b3c", "function": "hello"]).info("invocation", fields)
        let sampleLine = Array((memory.jsonLines[0] + "\n").utf8)
        results.append(Stopwatch.measure("logLine", "write(2) of the same \(sampleLine.count)-byte line to /dev/null", operations: lines) {
            sampleLine.withUnsafeBytes { bytes in
                for _ in 0..<lines {
                    consume(write(devNull, bytes.baseAddress, bytes.count))
                }
            }
        })
        return results
    }
}
