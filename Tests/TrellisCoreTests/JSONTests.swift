import Testing
import TrellisCore

@Suite struct JSONTests {
    @Test func parsesEveryType() throws {
        let value = try JSON.parse(#"{"a": 1, "b": 2.5, "c": "x\u00e9", "d": [true, false, null], "e": {}}"#)
        #expect(value["a"] == .int(1))
        #expect(value["b"] == .double(2.5))
        #expect(value["c"] == .string("xé"))
        #expect(value["d"] == .array([.bool(true), .bool(false), .null]))
        #expect(value["e"] == .object([]))
    }

    @Test func rejectsDuplicateKeys() {
        #expect(throws: JSON.ParseError.self) { try JSON.parse(#"{"exp": 1, "exp": 2}"#) }
    }

    @Test func parseErrorGivesPosition() {
        do {
            _ = try JSON.parse("{\n  \"a\": ,\n}")
            Issue.record("expected a parse error")
        } catch {
            #expect(error.line == 2)
            #expect(error.description.contains("line 2"))
        }
    }

    @Test func serializationKeepsMemberOrder() {
        let value: JSON = ["z": 1, "a": "text", "m": [1.5, nil]]
        #expect(value.serialized() == #"{"z":1,"a":"text","m":[1.5,null]}"#)
    }

    @Test func roundTripKeepsStringsWithNulAndQuotes() throws {
        let original: JSON = ["s": .string("a\u{0}b\"c\\\n")]
        #expect(try JSON.parse(original.serialized()) == original)
    }

    @Test func intValueAcceptsWholeDoublesOnly() {
        #expect(JSON.double(3.0).intValue == 3)
        #expect(JSON.double(3.5).intValue == nil)
        #expect(JSON.string("3").intValue == nil)
    }

    @Test func parsesScalarsAtTopLevel() throws {
        #expect(try JSON.parse("42") == .int(42))
        #expect(try JSON.parse("\"x\"") == .string("x"))
        #expect(throws: JSON.ParseError.self) { try JSON.parse("") }
    }
}
