import Testing
@testable import TrellisCore

@Suite struct JSONWriterTests {
    /// RFC 8259, section 7: the escapes a string needs, with the upper-case `\u00XX` form jansson 2.14 writes.
    static let escapes: [(text: String, expected: String)] = [
        ("plain", #""plain""#),
        ("", #""""#),
        ("quote\"", #""quote\"""#),
        ("back\\slash", #""back\\slash""#),
        ("slash/kept", #""slash/kept""#),
        ("\u{08}\u{09}\u{0A}\u{0C}\u{0D}", #""\b\t\n\f\r""#),
        ("\u{00}", #""\u0000""#),
        ("\u{01}\u{1B}\u{1F}", #""\u0001\u001B\u001F""#),
        ("\u{0B}", #""\u000B""#),
        ("del\u{7F}", "\"del\u{7F}\""),
        ("caf\u{E9} \u{2028} \u{1F600}", "\"caf\u{E9} \u{2028} \u{1F600}\""),
        ("a\nb\"c\\d", #""a\nb\"c\\d""#),
    ]

    @Test(arguments: escapes) func stringEscaping(text: String, expected: String) throws {
        var writer = JSONWriter()
        writer.append(string: text)
        let output = String(decoding: writer.bytes, as: UTF8.self)
        #expect(output == expected)
        #expect(output == JSON.string(text).serialized())
        #expect(try JSON.parse(writer.bytes) == .string(text))
    }

    @Test func everyControlCharacterMatchesJansson() throws {
        for value in UInt32(0)...0x7F {
            let text = String(Unicode.Scalar(value)!)
            var writer = JSONWriter()
            writer.append(string: text)
            #expect(String(decoding: writer.bytes, as: UTF8.self) == JSON.string(text).serialized(), "U+\(value)")
            #expect(try JSON.parse(writer.bytes) == .string(text), "U+\(value)")
        }
    }

    /// Puts each byte that needs an escape (and a few that do not) at every offset of strings up to
    /// 20 bytes, so that the 8-byte scan meets it in every lane of a word and in the tail.
    @Test func escapeAtEveryOffsetMatchesJansson() throws {
        let specials = ["\"", "\\", "\n", "\u{01}", "\u{1F}", "\u{7F}", "\u{E9}", " ", "!", "#", "[", "]"]
        for length in 0...20 {
            for special in specials {
                for offset in 0..<max(length, 1) {
                    var characters = Array(repeating: "a", count: length)
                    if length > 0 { characters[offset] = special }
                    let text = characters.joined()
                    var writer = JSONWriter(capacity: 8)
                    writer.append(string: text)
                    #expect(String(decoding: writer.bytes, as: UTF8.self) == JSON.string(text).serialized(), "\(text.debugDescription)")
                }
            }
        }
    }

    @Test func bufferGrowsPastCapacity() throws {
        var writer = JSONWriter(capacity: 64)
        let long = String(repeating: "x\"y", count: 1000)
        writer.append(string: long)
        writer.appendRaw(UInt8(ascii: ","))
        writer.append(integer: -1234567890123)
        #expect(String(decoding: writer.bytes, as: UTF8.self) == JSON.string(long).serialized() + ",-1234567890123")
        #expect(writer.count == writer.bytes.count)
    }

    @Test func removeAllAndTruncateKeepEarlierText() {
        var writer = JSONWriter()
        writer.appendRaw("abc")
        let mark = writer.count
        writer.append(string: "line")
        writer.truncate(to: mark)
        #expect(String(decoding: writer.bytes, as: UTF8.self) == "abc")
        writer.removeAll()
        #expect(writer.bytes.isEmpty)
        writer.append(unsigned: 7, minimumDigits: 3)
        #expect(String(decoding: writer.bytes, as: UTF8.self) == "007")
    }

    static let reals: [Double] = [
        0, -0.0, 1, -1, 12, 0.038, 0.5, -0.25, 1.001, 123.456, 999_999.999, 0.000_1, 0.001, 0.000_5,
        1e-7, 1.5e-10, 1e15, 1e20, 123_456_789_012_345_680, -2.5e-300, 1.7976931348623157e308,
        0.1 + 0.2, 1.0 / 3.0, 4.35, 1e14 + 0.5, 99_999_999_999.999,
    ]

    @Test(arguments: reals) func realMatchesJansson(value: Double) {
        var writer = JSONWriter()
        writer.append(real: value)
        #expect(String(decoding: writer.bytes, as: UTF8.self) == JSON.double(value).serialized())
    }

    @Test func nonFiniteRealIsNull() {
        for value in [Double.nan, .infinity, -.infinity] {
            var writer = JSONWriter()
            writer.append(real: value)
            #expect(String(decoding: writer.bytes, as: UTF8.self) == "null")
        }
    }

    @Test(arguments: [Int64.min, -1, 0, 7, 10, 1_000_000, Int64.max]) func integerMatchesJansson(value: Int64) {
        var writer = JSONWriter()
        writer.append(integer: value)
        #expect(String(decoding: writer.bytes, as: UTF8.self) == JSON.int(value).serialized())
    }

    @Test func nestedValueMatchesJansson() throws {
        let value = JSON.object([
            (key: "a\"key", value: .array([.null, .bool(true), .bool(false), .int(-3), .double(2.5)])),
            (key: "nested", value: .object([(key: "s", value: .string("x\ty"))])),
            (key: "empty", value: .array([])),
            (key: "none", value: .object([])),
        ])
        var writer = JSONWriter()
        writer.append(value)
        #expect(String(decoding: writer.bytes, as: UTF8.self) == value.serialized())
    }

    @Test func removeAllKeepsNothingOfEarlierText() {
        var writer = JSONWriter()
        writer.append(string: "first")
        writer.removeAll()
        writer.append(integer: 2)
        #expect(String(decoding: writer.bytes, as: UTF8.self) == "2")
    }
}
