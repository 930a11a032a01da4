import Testing
import TrellisCore
@testable import TrellisTriggers

struct RecordSplitterTests {
    /// The records' data as text, with failures as `error@line: message`.
    static func summary(_ records: [RecordSplitter.Record]) -> [String] {
        records.map { record in
            switch record.result {
            case .success(let data): return String(decoding: data, as: UTF8.self)
            case .failure(let error): return "error@\(error.line): \(error.message)"
            }
        }
    }

    static func split(_ text: String, _ split: FileSettings.Split) throws -> [RecordSplitter.Record] {
        try RecordSplitter.split(Array(text.utf8), as: split)
    }

    @Test func noneKeepsWholeFile() throws {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF, 0x61, 0x0A, 0x00, 0xFF]
        let records = try RecordSplitter.split(bytes, as: .none)
        #expect(records == [RecordSplitter.Record(index: 1, line: 1, result: .success(bytes))])
    }

    @Test func noneOnEmptyFileIsOneEmptyRecord() throws {
        let records = try RecordSplitter.split([], as: .none)
        #expect(records.count == 1)
        #expect(records.first?.data == [])
    }

    @Test func linesSkipEmptyAndStripBreaks() throws {
        let records = try Self.split("\u{FEFF}alpha\r\n\r\nbeta\n \n\ngamma", .lines)
        #expect(Self.summary(records) == ["alpha", "beta", " ", "gamma"])
        #expect(records.map(\.line) == [1, 3, 4, 6])
        #expect(records.map(\.index) == [1, 2, 3, 4])
    }

    @Test func linesOnEmptyFileIsNoRecords() throws {
        #expect(try Self.split("", .lines).isEmpty)
        #expect(try Self.split("\n\r\n", .lines).isEmpty)
    }

    @Test func ndjsonReportsInvalidLineAndGoesOn() throws {
        let text = "{\"a\":1}\r\n\n  \t\n{\"a\":\n[1,2]\n\"text\"\n"
        let records = try Self.split(text, .ndjson)
        #expect(records.map(\.index) == [1, 2, 3, 4])
        #expect(records.map(\.line) == [1, 4, 5, 6])
        #expect(records[0].data == Array("{\"a\":1}".utf8))
        #expect(records[1].data == nil)
        #expect(records[2].data == Array("[1,2]".utf8))
        #expect(records[3].data == Array("\"text\"".utf8))
        guard case .failure(let error) = records[1].result else { Issue.record("line 4 should fail"); return }
        #expect(error.line == 4)
        #expect(error.message.hasPrefix("invalid JSON at column"))
    }

    @Test func ndjsonRejectsDuplicateKeysAndInvalidUTF8() throws {
        var bytes = Array("{\"a\":1,\"a\":2}\n\"".utf8)
        bytes += [0xC3, 0x28]
        bytes += Array("\"\n".utf8)
        let records = try RecordSplitter.split(bytes, as: .ndjson)
        #expect(records.count == 2)
        #expect(records.allSatisfy { $0.data == nil })
    }

    // The first rows of vega-datasets' seattle-weather.csv, with a BOM and CRLF line ends added.
    static let seattle = "\u{FEFF}date,precipitation,temp_max,temp_min,wind,weather\r\n"
        + "2012-01-01,0.0,12.8,5.0,4.7,drizzle\r\n"
        + "2012-01-02,10.9,10.6,2.8,4.5,rain\r\n"

    @Test func csvRowsBecomeObjects() throws {
        let records = try Self.split(Self.seattle, .csv)
        #expect(Self.summary(records) == [
            #"{"date":"2012-01-01","precipitation":"0.0","temp_max":"12.8","temp_min":"5.0","wind":"4.7","weather":"drizzle"}"#,
            #"{"date":"2012-01-02","precipitation":"10.9","temp_max":"10.6","temp_min":"2.8","wind":"4.5","weather":"rain"}"#,
        ])
        #expect(records.map(\.line) == [2, 3])
        #expect(records.map(\.index) == [1, 2])
    }

    @Test func csvQuotedFields() throws {
        let text = "name,note\n"
            + "\"Smith, Jane\",\"said \"\"hi\"\"\"\n"
            + "multi,\"line one\r\nline two\"\n"
            + "empty,\"\"\n"
            + "inch,5\" tall\n"
            + " spaced , kept \n"
            + "last,row"
        let records = try Self.split(text, .csv)
        #expect(Self.summary(records) == [
            #"{"name":"Smith, Jane","note":"said \"hi\""}"#,
            #"{"name":"multi","note":"line one\r\nline two"}"#,
            #"{"name":"empty","note":""}"#,
            #"{"name":"inch","note":"5\" tall"}"#,
            #"{"name":" spaced ","note":" kept "}"#,
            #"{"name":"last","note":"row"}"#,
        ])
        #expect(records.map(\.line) == [2, 3, 5, 6, 7, 8])
    }

    @Test func csvFieldCountMismatchIsRecordError() throws {
        let records = try Self.split("a,b\n1,2\n1,2,3\n\n4\n5,6\n", .csv)
        #expect(Self.summary(records) == [
            #"{"a":"1","b":"2"}"#,
            "error@3: the row has 3 fields, but the header has 2",
            "error@5: the row has 1 fields, but the header has 2",
            #"{"a":"5","b":"6"}"#,
        ])
        #expect(records.map(\.index) == [1, 2, 3, 4])
    }

    @Test func csvTextAfterClosingQuoteIsRecordError() throws {
        let records = try Self.split("a,b\n\"x\"y,2\n3,4\n", .csv)
        #expect(Self.summary(records) == [
            "error@2: unexpected character after the closing quote of field 1",
            #"{"a":"3","b":"4"}"#,
        ])
    }

    @Test func csvUnclosedQuoteIsRecordError() throws {
        let records = try Self.split("a,b\n1,2\n3,\"open\n4,5\n", .csv)
        #expect(Self.summary(records) == [
            #"{"a":"1","b":"2"}"#,
            "error@3: the quoted field 2 opened on line 3 is never closed",
        ])
    }

    @Test func csvInvalidUTF8IsRecordError() throws {
        var bytes = Array("a\n".utf8)
        bytes += [0xFF, 0x0A]
        bytes += Array("ok\n".utf8)
        let records = try RecordSplitter.split(bytes, as: .csv)
        #expect(Self.summary(records) == ["error@2: the field \"a\" is not valid UTF-8", #"{"a":"ok"}"#])
    }

    @Test func csvHeaderOnlyOrEmptyHasNoRecords() throws {
        #expect(try Self.split("", .csv).isEmpty)
        #expect(try Self.split("\r\n\r\n", .csv).isEmpty)
        #expect(try Self.split("a,b\r\n", .csv).isEmpty)
    }

    @Test func csvDuplicateHeaderIsFileError() {
        #expect(throws: RecordSplitter.FileError(line: 1, message: "invalid header: the column \"a\" appears twice")) {
            try Self.split("a,b,a\n1,2,3\n", .csv)
        }
    }

    @Test func csvUnclosedHeaderQuoteIsFileError() {
        #expect(throws: RecordSplitter.FileError.self) { try Self.split("\"a,b\n1,2\n", .csv) }
    }

    @Test func csvValuesRoundTripThroughJSON() throws {
        let records = try Self.split("k\n\"tab\tquote\"\"ü€\"\n", .csv)
        let data = try #require(records.first?.data)
        #expect(try JSON.parse(data)["k"] == .string("tab\tquote\"ü€"))
    }
}
