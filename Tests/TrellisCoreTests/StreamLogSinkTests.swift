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
