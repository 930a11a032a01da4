import Glibc
import Testing
@testable import TrellisCore

@Suite struct StreamLogSinkTests {
    @Test func textLineEscapesControlCharacters() {
        let forged = "ada\n2026-12-04T00:00:00.000Z INFO invocation principal=admin\u{1B}]0;pwned\u{7}"
        let record = LogRecord(level: .info, message: "invocation", fields: [("principal", .string(forged))])
        let line = StreamLogSink.textLine(record)
        #expect(!line.contains("\n"))
        #expect(!line.contains("\u{7}"))
        #expect(line.contains("ada\\u{a}2026"))
        // The only escape sequences left are the sink's own colors.
        #expect(!line.contains("\u{1B}]"))
    }

    @Test func jsonLineEscapesControlCharacters() throws {
        let record = LogRecord(level: .warning, message: "m", fields: [("value", .string("a\nb\u{1B}c"))])
        let line = StreamLogSink.jsonLine(record)
        #expect(!line.contains("\n"))
        #expect(try JSON.parse(line)["value"] == "a\nb\u{1B}c")
    }
}

@Suite struct StreamLogSinkJSONLineTests {
    static let time = 1_796_413_768.123_4

    /// The line jansson builds from the same members: what `jsonLine` wrote before `JSONWriter`.
    static func janssonLine(_ record: LogRecord) -> String {
        var members: [(key: String, value: JSON)] = [
            (key: "time", value: .string(Timestamp.rfc3339(record.time))),
            (key: "level", value: .string(record.level.name)),
            (key: "msg", value: .string(record.message)),
        ]
        for (key, value) in record.fields { members.append((key: key, value: value)) }
        return JSON.object(members).serialized()
    }

    @Test func jsonLineMatchesJansson() {
        var record = LogRecord(level: .info, message: "invocation \"quoted\"", fields: [
            ("requestId", .string("0123abcd")), ("function", .string("hello")), ("method", .string("GET")),
            ("path", .string("/a\\b")), ("status", .int(200)), ("durationMs", .double(0.038)),
            ("principal", .null), ("ok", .bool(true)), ("claims", .object([(key: "sub", value: .string("ada"))])),
        ])
        record.time = Self.time
        #expect(StreamLogSink.jsonLine(record) == Self.janssonLine(record))
    }

    @Test func jsonLineRepeatedKeyKeepsJanssonOrder() throws {
        var record = LogRecord(level: .error, message: "m", fields: [
            ("a", .int(1)), ("b", .int(2)), ("a", .int(3)), ("msg", .string("override")),
        ])
        record.time = Self.time
        let line = StreamLogSink.jsonLine(record)
        #expect(line == Self.janssonLine(record))
        #expect(try JSON.parse(line)["a"] == .int(3))
    }

    @Test(arguments: [0.0, 59.999, 951_782_400.5, Self.time, 4_102_444_799.999])
    func timestampAppendMatchesString(unixTime: Double) {
        var writer = JSONWriter()
        Timestamp.appendRFC3339(unixTime, to: &writer)
        #expect(String(decoding: writer.bytes, as: UTF8.self) == Timestamp.rfc3339(unixTime))
    }

    @Test func writeSendsOneLinePerRecord() throws {
        var descriptors: [Int32] = [0, 0]
        try #require(pipe(&descriptors) == 0)
        defer { close(descriptors[0]) }
        let sink = StreamLogSink(fileDescriptor: descriptors[1], format: .json)
        var records: [LogRecord] = []
        for (index, path) in ["/first", "/sec\"ond\n"].enumerated() {
            var record = LogRecord(level: .warning, message: "invocation", fields: [("path", .string(path)), ("n", .int(Int64(index)))])
            record.time = Self.time
            records.append(record)
            sink.write(record)
        }
        close(descriptors[1])
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(descriptors[0], &chunk, chunk.count)
            guard count > 0 else { break }
            output.append(contentsOf: chunk[0..<count])
        }
        let expected = records.map { Self.janssonLine($0) + "\n" }.joined()
        #expect(String(decoding: output, as: UTF8.self) == expected)
    }
}
