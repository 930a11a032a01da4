import Glibc
import Testing
@testable import TrellisCore

/// Write-behind buffering of `StreamLogSink`: lines reach the file after the flush interval, at the
/// size threshold, on `flush()`, or at once with a zero interval. The sinks write to a temporary file,
/// which, unlike a pipe, never blocks a writer that the test has not read from yet.
@Suite struct StreamLogSinkBufferingTests {
    /// A temporary file, removed on `close()`.
    final class TemporaryFile {
        let descriptor: Int32
        let path: String

        init() throws {
            var template = Array("/tmp/trellis-log-XXXXXX".utf8CString)
            descriptor = mkstemp(&template)
            try #require(descriptor >= 0)
            path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        }

        func contents() -> String {
            var output: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 65_536)
            var offset: off_t = 0
            while true {
                let count = pread(descriptor, &chunk, chunk.count, offset)
                guard count > 0 else { break }
                output.append(contentsOf: chunk[0..<count])
                offset += off_t(count)
            }
            return String(decoding: output, as: UTF8.self)
        }

        func close() {
            Glibc.close(descriptor)
            unlink(path)
        }
    }

    /// Polls `condition` every 5 ms until it is true or `bound` passes; returns its last value.
    static func waitUntil(bound: Duration = .seconds(10), _ condition: () -> Bool) -> Bool {
        let deadline = ContinuousClock.now + bound
        while ContinuousClock.now < deadline {
            if condition() { return true }
            usleep(5_000)
        }
        return condition()
    }

    static func lines(_ text: String) -> [Substring] { text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() }

    @Test func lineAppearsAfterIntervalWithoutMoreLines() throws {
        let file = try TemporaryFile()
        defer { file.close() }
        let sink = StreamLogSink(fileDescriptor: file.descriptor, format: .json, flushInterval: .milliseconds(20))
        #expect(sink.isBuffered)
        sink.write(level: .info, message: "first", metadata: [], fields: [("n", JSON.int(1))])
        #expect(Self.waitUntil { file.contents().contains("\"msg\":\"first\"") })
        #expect(Self.lines(file.contents()).count == 1)
    }

    @Test func lineWaitsForFlush() throws {
        let file = try TemporaryFile()
        defer { file.close() }
        let sink = StreamLogSink(fileDescriptor: file.descriptor, format: .json, flushInterval: .seconds(60))
        sink.write(level: .info, message: "held", metadata: [], fields: [(String, JSON)]())
        sink.write(LogRecord(level: .info, message: "record path", fields: []))
        #expect(file.contents().isEmpty)
        sink.flush()
        let lines = Self.lines(file.contents())
        #expect(lines.count == 2)
        #expect(lines.first?.contains("\"msg\":\"held\"") == true)
        #expect(lines.last?.contains("\"msg\":\"record path\"") == true)
    }

    @Test func sizeThresholdWritesWholeLines() throws {
        let file = try TemporaryFile()
        defer { file.close() }
        let sink = StreamLogSink(fileDescriptor: file.descriptor, format: .json, flushInterval: .seconds(60))
        let filler = String(repeating: "x", count: 200)
        var written = 0
        while file.contents().isEmpty && written < 1000 {
            sink.write(level: .info, message: filler, metadata: [], fields: [("n", JSON.int(Int64(written)))])
            written += 1
        }
        let output = file.contents()
        #expect(output.utf8.count >= StreamLogSink.flushThreshold)
        #expect(output.hasSuffix("\n"))
        // The line that crossed the threshold went out with the rest, so nothing waits now.
        #expect(Self.lines(output).count == written)
        #expect(Self.lines(output).allSatisfy { (try? JSON.parse(String($0))) != nil })
    }

    @Test func zeroIntervalWritesEachLineAtOnce() throws {
        let file = try TemporaryFile()
        defer { file.close() }
        let sink = StreamLogSink(fileDescriptor: file.descriptor, format: .json, flushInterval: .zero)
        #expect(!sink.isBuffered)
        sink.write(level: .info, message: "now", metadata: [], fields: [(String, JSON)]())
        #expect(Self.lines(file.contents()).count == 1)
        sink.write(LogRecord(level: .info, message: "also now", fields: []))
        #expect(Self.lines(file.contents()).count == 2)
    }

    @Test func textFormatIsBufferedToo() throws {
        let file = try TemporaryFile()
        defer { file.close() }
        let sink = StreamLogSink(fileDescriptor: file.descriptor, format: .text, flushInterval: .seconds(60))
        sink.write(LogRecord(level: .info, message: "text line", fields: []))
        #expect(file.contents().isEmpty)
        sink.flush()
        #expect(file.contents().contains("text line"))
    }

    @Test func releasedSinkWritesItsBuffer() throws {
        let file = try TemporaryFile()
        defer { file.close() }
        do {
            let sink = StreamLogSink(fileDescriptor: file.descriptor, format: .json, flushInterval: .seconds(60))
            sink.write(LogRecord(level: .info, message: "last words", fields: []))
        }
        #expect(file.contents().contains("last words"))
    }

    @Test func concurrentWritersKeepLinesWholeAndOrdered() throws {
        let file = try TemporaryFile()
        defer { file.close() }
        let sink = StreamLogSink(fileDescriptor: file.descriptor, format: .json, flushInterval: .milliseconds(2))
        let writers = 4
        let linesPerWriter = 3000
        let padding = String(repeating: "p", count: 40)
        let threads = (0..<writers).map { writer in
            WriterThread {
                for sequence in 0..<linesPerWriter {
                    sink.write(
                        level: .info, message: padding, metadata: [(key: "writer", value: String(writer))],
                        fields: [("sequence", JSON.int(Int64(sequence)))])
                }
            }
        }
        for thread in threads { thread.join() }
        sink.flush()

        var next = Array(repeating: 0, count: writers)
        for line in Self.lines(file.contents()) {
            let parsed = try JSON.parse(String(line))
            let writer = try #require(parsed["writer"]?.stringValue.flatMap { Int($0) })
            let sequence = try #require(parsed["sequence"]?.intValue)
            #expect(sequence == Int64(next[writer]), "writer \(writer)")
            next[writer] = Int(sequence) + 1
        }
        #expect(next == Array(repeating: linesPerWriter, count: writers))
    }
}

/// A pthread running `body`, for writers that must run in parallel outside Swift concurrency.
final class WriterThread {
    private var thread = pthread_t()
    private let body: () -> Void

    init(_ body: @escaping () -> Void) {
        self.body = body
        let context = Unmanaged.passRetained(self).toOpaque()
        let result = pthread_create(&thread, nil, { context in
            let owner = Unmanaged<WriterThread>.fromOpaque(context!).takeRetainedValue()
            owner.body()
            return nil
        }, context)
        precondition(result == 0, "pthread_create failed with \(result)")
    }

    func join() { pthread_join(thread, nil) }
}
