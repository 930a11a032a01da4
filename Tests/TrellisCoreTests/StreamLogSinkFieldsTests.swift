import Glibc
import Testing
@testable import TrellisCore

/// `StreamLogSink.write(level:message:metadata:fields:)` writes without a `LogRecord`; these check that
/// its lines match the jansson line of the equivalent record, the time aside.
@Suite struct StreamLogSinkFieldsTests {
    struct Row: CustomTestStringConvertible, Sendable {
        var name: String
        var metadata: [(key: String, value: String)]
        var fields: [(String, JSON)]
        var testDescription: String { name }
    }

    static let manyFields: [(String, JSON)] = (0..<40).map { ("k\($0)", .int(Int64($0))) }

    static let rows: [Row] = [
        Row(name: "distinct keys", metadata: [(key: "requestId", value: "ab12"), (key: "function", value: "hello")], fields: [
            ("method", .string("GET")), ("path", .string("/a\"b\n")), ("status", .int(200)), ("durationMs", .double(0.038)),
            ("principal", .null), ("ok", .bool(true)),
        ]),
        Row(name: "no fields", metadata: [], fields: []),
        Row(name: "repeated field", metadata: [(key: "function", value: "f")], fields: [("a", .int(1)), ("b", .int(2)), ("a", .int(3))]),
        Row(name: "field repeats metadata", metadata: [(key: "function", value: "f")], fields: [("function", .string("g"))]),
        Row(name: "reserved field", metadata: [], fields: [("x", .int(1)), ("msg", .string("override"))]),
        Row(name: "reserved metadata", metadata: [(key: "level", value: "loud")], fields: [("x", .int(1))]),
        Row(name: "more keys than in place", metadata: [(key: "function", value: "f")], fields: manyFields),
    ]

    /// The line without its `time` member, which the sink reads from the clock.
    static func withoutTime(_ line: String) throws -> String {
        let bytes = Array(line.utf8)
        let marker = Array("\",\"level\":".utf8)
        let start = try #require((0...(bytes.count - marker.count)).first { Array(bytes[$0..<($0 + marker.count)]) == marker })
        return String(decoding: bytes[start...], as: UTF8.self)
    }

    static func captureOutput(_ body: (StreamLogSink) -> Void) throws -> String {
        var descriptors: [Int32] = [0, 0]
        try #require(pipe(&descriptors) == 0)
        defer { close(descriptors[0]) }
        body(StreamLogSink(fileDescriptor: descriptors[1], format: .json))
        close(descriptors[1])
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(descriptors[0], &chunk, chunk.count)
            guard count > 0 else { break }
            output.append(contentsOf: chunk[0..<count])
        }
        return String(decoding: output, as: UTF8.self)
    }

    @Test(arguments: rows)
    func fieldsLineMatchesRecordLine(row: Row) throws {
        let output = try Self.captureOutput { sink in
            sink.write(level: .warning, message: "invocation", metadata: row.metadata, fields: row.fields)
        }
        #expect(output.hasSuffix("\n"))
        #expect(output.utf8.filter { $0 == UInt8(ascii: "\n") }.count == 1)
        let record = LogRecord(time: 0, level: .warning, message: "invocation", metadata: row.metadata, fields: row.fields)
        let expected = StreamLogSinkJSONLineTests.janssonLine(record)
        #expect(try Self.withoutTime(String(output.dropLast())) == Self.withoutTime(expected))
    }

    @Test func fieldsLineTimeIsNow() throws {
        let before = LogRecord.unixTimeNow()
        let output = try Self.captureOutput { sink in sink.write(level: .info, message: "m", metadata: [], fields: [(String, JSON)]()) }
        let after = LogRecord.unixTimeNow()
        let time = try #require(JSON.parse(output)["time"]?.stringValue)
        // Whole milliseconds, so the bounds are widened to the millisecond.
        #expect(time >= Timestamp.rfc3339((before * 1000).rounded(.down) / 1000))
        #expect(time <= Timestamp.rfc3339(after))
    }

    @Test func loggerFieldsReachMemorySinkAsRecord() throws {
        let sink = MemoryLogSink()
        let logger = Logger(level: .info, sink: sink).with(["requestId": "r1"])
        logger.log(.info, "m", fields: [("a", JSON.int(1))])
        logger.log(.debug, "below threshold", fields: [("a", JSON.int(2))])
        let record = try #require(sink.all.first)
        #expect(sink.all.count == 1)
        #expect(record.fields.map(\.0) == ["requestId", "a"])
        #expect(record.fields.map(\.1) == [.string("r1"), .int(1)])
    }

    /// Fields with a fixed key set, as `LoggingDecorator` writes them; `note` is left out when nil.
    struct FixedFields: LogFields {
        var status: Int
        var note: String?
        static let fieldKeys: LogFieldKeys? = LogFieldKeys(["status", "note"])

        func forEachField(_ body: (String, JSON) -> Void) {
            body("status", .int(Int64(status)))
            if let note { body("note", .string(note)) }
        }

        var array: [(String, JSON)] {
            var all: [(String, JSON)] = []
            forEachField { all.append(($0, $1)) }
            return all
        }
    }

    static let fixedRows: [(metadata: [(key: String, value: String)], fields: FixedFields)] = [
        ([(key: "requestId", value: "r1")], FixedFields(status: 200, note: "a\"b")),
        ([(key: "requestId", value: "r1")], FixedFields(status: 500, note: nil)),
        // A metadata key in the fixed set, written by this line or not, and a reserved metadata key.
        ([(key: "note", value: "from metadata")], FixedFields(status: 200, note: "from fields")),
        ([(key: "note", value: "from metadata")], FixedFields(status: 200, note: nil)),
        ([(key: "msg", value: "m")], FixedFields(status: 200, note: nil)),
        ([(key: "a", value: "1"), (key: "a", value: "2")], FixedFields(status: 200, note: nil)),
    ]

    @Test func fixedKeyFieldsLineMatchesRecordLine() throws {
        for row in Self.fixedRows {
            let output = try Self.captureOutput { sink in
                sink.write(level: .info, message: "invocation", metadata: row.metadata, fields: row.fields)
            }
            #expect(output.utf8.filter { $0 == UInt8(ascii: "\n") }.count == 1)
            let record = LogRecord(time: 0, level: .info, message: "invocation", metadata: row.metadata, fields: row.fields.array)
            let expected = StreamLogSinkJSONLineTests.janssonLine(record)
            #expect(try Self.withoutTime(String(output.dropLast())) == Self.withoutTime(expected), "\(row.metadata)")
        }
    }

    /// One sink writes every row twice in turn, so a line whose metadata keys differ from the last
    /// checked line's is checked again rather than trusted, including a bad row right after a good
    /// row with as many keys.
    @Test func oneSinkChecksEachNewMetadataKeySet() throws {
        let rows = Self.fixedRows + Self.fixedRows
        let output = try Self.captureOutput { sink in
            for row in rows { sink.write(level: .info, message: "invocation", metadata: row.metadata, fields: row.fields) }
        }
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        try #require(lines.count == rows.count)
        for (line, row) in zip(lines, rows) {
            let record = LogRecord(time: 0, level: .info, message: "invocation", metadata: row.metadata, fields: row.fields.array)
            let expected = StreamLogSinkJSONLineTests.janssonLine(record)
            #expect(try Self.withoutTime(String(line)) == Self.withoutTime(expected), "\(row.metadata)")
        }
    }

    /// Fields with the single fixed key "K".
    struct KelvinFields: LogFields {
        static let fieldKeys: LogFieldKeys? = LogFieldKeys(["K"])

        func forEachField(_ body: (String, JSON) -> Void) { body("K", .int(1)) }
    }

    /// U+212A KELVIN SIGN equals "K" under String's `==` but is another JSON key, so a line with the
    /// metadata key "K" after a line with U+212A is checked again and goes through jansson.
    @Test func canonicallyEqualKeyCheckedAgain() throws {
        let output = try Self.captureOutput { sink in
            sink.write(level: .info, message: "first", metadata: [(key: "\u{212A}", value: "x")], fields: KelvinFields())
            sink.write(level: .info, message: "second", metadata: [(key: "K", value: "y")], fields: KelvinFields())
        }
        let lines = output.split(separator: "\n")
        try #require(lines.count == 2)
        let record = LogRecord(time: 0, level: .info, message: "second", metadata: [(key: "K", value: "y")], fields: KelvinFields())
        let expected = StreamLogSinkJSONLineTests.janssonLine(record)
        #expect(try Self.withoutTime(String(lines[1])) == Self.withoutTime(expected))
        #expect(!lines[1].contains(#""K":"y","K":1"#))
    }

    @Test func fieldKeysCleanOnlyWhenDistinctAndUnreserved() {
        #expect(LogFieldKeys(["status", "note"]).isClean)
        #expect(!LogFieldKeys(["status", "status"]).isClean)
        #expect(!LogFieldKeys(["status", "time"]).isClean)
        let keys = LogFieldKeys(["status", "durationMs"])
        #expect(keys.contains("status"))
        #expect(keys.contains("durationMs"))
        #expect(!keys.contains("statuz"))
        #expect(!keys.contains("path"))
        #expect(!keys.contains(""))
    }

    @Test func bufferedLinesTimestampMatchesUncached() {
        var cache = TimestampPrefixCache()
        for unixTime in [0.0, 0.5, 0.999, 1.0, 59.999, 60.001, 951_782_400.5, 951_782_400.25, 4_102_444_799.999] {
            var cached = JSONWriter()
            cache.appendRFC3339(unixTime, to: &cached)
            var direct = JSONWriter()
            Timestamp.appendRFC3339(unixTime, to: &direct)
            #expect(cached.bytes == direct.bytes, "\(unixTime)")
        }
    }
}
