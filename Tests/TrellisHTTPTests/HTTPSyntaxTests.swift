@testable import TrellisHTTP
import Testing

/// A small deterministic generator, so that a failing case can be reproduced.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}

/// The byte classes as the grammar states them, one byte at a time, to check the word-at-a-time scans against.
private enum Reference {
    static let tcharSymbols = Set("!#$%&'*+-.^_`|~".utf8)

    static func isTokenByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || tcharSymbols.contains(byte)
    }

    static func isHostByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || Set("-._~%!$&'()*+,;=:[]".utf8).contains(byte)
    }

    static func endOfToken(_ bytes: [UInt8], from start: Int) -> Int {
        var index = start
        while index < bytes.count && isTokenByte(bytes[index]) { index += 1 }
        return index
    }

    static func endOfTarget(_ bytes: [UInt8], from start: Int) -> Int {
        var index = start
        while index < bytes.count && bytes[index] > 0x20 && bytes[index] < 0x7F { index += 1 }
        return index
    }

    static func indexOfLineBreak(_ bytes: [UInt8], from start: Int) -> Int {
        var index = start
        while index < bytes.count && bytes[index] != 13 && bytes[index] != 10 { index += 1 }
        return index
    }

    static func checkFieldValue(_ bytes: [UInt8]) -> Bool? {
        for byte in bytes where !(byte == 9 || (byte >= 0x20 && byte != 0x7F)) { return nil }
        return bytes.allSatisfy { $0 < 0x80 }
    }
}

/// Random byte strings of 0 to 40 bytes drawn mostly from `alphabet`, so that the interesting bytes
/// land at every position of an 8-byte word.
private func randomInputs(alphabet: [UInt8], count: Int, seed: UInt64) -> [[UInt8]] {
    var generator = SplitMix64(state: seed)
    return (0..<count).map { _ in
        let length = Int.random(in: 0...40, using: &generator)
        return (0..<length).map { _ in
            Int.random(in: 0..<10, using: &generator) == 0
                ? UInt8.random(in: 0...255, using: &generator) : alphabet.randomElement(using: &generator)!
        }
    }
}

private let nameAlphabet = Array("abcxyzABCXYZ0189-_.:; \t".utf8)
private let valueAlphabet = Array("abc XYZ 019/;=\"\t\r\n\u{7F}".utf8) + [0, 0x80, 0xC3, 0xA9, 0xFF]

@Suite struct HTTPSyntaxTests {
    @Test func tokenByteMatchesGrammarForEveryByte() {
        for byte in UInt8.min...UInt8.max {
            #expect(HTTPSyntax.isTokenByte(byte) == Reference.isTokenByte(byte), "byte \(byte)")
            #expect(HTTPSyntax.isHostByte(byte) == Reference.isHostByte(byte), "byte \(byte)")
        }
    }

    @Test func lettersDigitsAndDashesMarksExactlyThoseBytes() {
        // Every ASCII byte at every position of a word.
        for byte in UInt8(0)...UInt8(0x7F) {
            for position in 0..<8 {
                var bytes = Array("aZ09-xQ7".utf8)
                bytes[position] = byte
                let word = bytes.withUnsafeBytes { HTTPSyntax.loadWord($0.baseAddress!, 0) }
                let marked = HTTPSyntax.lettersDigitsAndDashes(word) & HTTPSyntax.highBits
                let isExpected = HTTPSyntax.isAlpha(byte) || HTTPSyntax.isDigit(byte) || byte == UInt8(ascii: "-")
                #expect((marked >> (8 * UInt64(position) + 7)) & 1 == (isExpected ? 1 : 0), "byte \(byte) at \(position)")
            }
        }
    }

    @Test func tokenScansMatchReference() {
        for input in randomInputs(alphabet: nameAlphabet, count: 4000, seed: 1) {
            input.withUnsafeBufferPointer { bytes in
                for start in [0, 1, 3].filter({ $0 <= input.count }) {
                    #expect(HTTPSyntax.endOfToken(in: bytes, from: start) == Reference.endOfToken(input, from: start), "\(input)")
                }
                let isToken = !input.isEmpty && input.allSatisfy(Reference.isTokenByte)
                #expect(HTTPSyntax.isToken(bytes) == isToken, "\(input)")
            }
        }
    }

    @Test func tokensOfEveryLengthAreAccepted() {
        for length in 1...40 {
            let token = Array(String(repeating: "Ab9-_.~", count: 6).utf8.prefix(length))
            token.withUnsafeBufferPointer { bytes in
                #expect(HTTPSyntax.isToken(bytes), "length \(length)")
                #expect(HTTPSyntax.endOfToken(in: bytes, from: 0) == length)
            }
            for position in 0..<length {
                var broken = token
                broken[position] = UInt8(ascii: ":")
                broken.withUnsafeBufferPointer { bytes in
                    #expect(!HTTPSyntax.isToken(bytes), "length \(length), colon at \(position)")
                    #expect(HTTPSyntax.endOfToken(in: bytes, from: 0) == position)
                }
            }
        }
        #expect(![UInt8]().withUnsafeBufferPointer { HTTPSyntax.isToken($0) })
    }

    @Test func targetScanMatchesReference() {
        let alphabet = Array("/abc?=&%20xyz~!".utf8) + [0x20, 0x7F, 0x7E, 0x21, 0x80, 0x09]
        for input in randomInputs(alphabet: alphabet, count: 4000, seed: 2) {
            input.withUnsafeBufferPointer { bytes in
                for start in [0, 2].filter({ $0 <= input.count }) {
                    #expect(HTTPSyntax.endOfTarget(in: bytes, from: start) == Reference.endOfTarget(input, from: start), "\(input)")
                }
            }
        }
    }

    @Test func lineBreakScanMatchesReference() {
        for input in randomInputs(alphabet: valueAlphabet, count: 4000, seed: 3) {
            input.withUnsafeBufferPointer { bytes in
                for start in [0, 1, 5, 9].filter({ $0 <= input.count }) {
                    #expect(HTTPSyntax.indexOfLineBreak(in: bytes, from: start) == Reference.indexOfLineBreak(input, from: start), "\(input)")
                }
            }
        }
    }

    @Test func fieldValueCheckMatchesReference() {
        for input in randomInputs(alphabet: valueAlphabet, count: 4000, seed: 4) {
            let result = input.withUnsafeBufferPointer { HTTPSyntax.checkFieldValue($0) }
            #expect(result == Reference.checkFieldValue(input), "\(input)")
        }
        // Each rejected byte at every position of values up to 24 bytes long.
        for bad: UInt8 in [0, 1, 10, 13, 0x1F, 0x7F] {
            for length in 1...24 {
                for position in 0..<length {
                    var value = [UInt8](repeating: UInt8(ascii: "v"), count: length)
                    value[position] = bad
                    #expect(value.withUnsafeBufferPointer { HTTPSyntax.checkFieldValue($0) } == nil, "\(bad) at \(position) of \(length)")
                }
            }
        }
    }

    @Test func versionWordsAreTheVersionBytes() {
        #expect(Array("HTTP/1.1".utf8).withUnsafeBytes { HTTPSyntax.loadWord($0.baseAddress!, 0) } == HTTPRequestLine.http11)
        #expect(Array("HTTP/1.0".utf8).withUnsafeBytes { HTTPSyntax.loadWord($0.baseAddress!, 0) } == HTTPRequestLine.http10)
    }

    @Test func equalsComparesEveryByte() {
        // Every shorter prefix differs from the literal by its length alone.
        let literal: StaticString = "abcdefghijklmnopqrstuvwxyz0123456789"
        let text = Array("abcdefghijklmnopqrstuvwxyz0123456789".utf8)
        for length in 0...text.count {
            let prefix = Array(text.prefix(length))
            #expect(prefix.withUnsafeBufferPointer { HTTPSyntax.equals($0, literal) } == (length == text.count))
        }
        for literal: StaticString in ["", "a", "ab", "abc", "Host", "Accept", "Referer", "X-API-Key", "Authorization", "Transfer-Encoding"] {
            let bytes = Array(UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
            #expect(bytes.withUnsafeBufferPointer { HTTPSyntax.equals($0, literal) }, "\(literal)")
            for position in bytes.indices {
                var changed = bytes
                changed[position] ^= 0x20
                #expect(!changed.withUnsafeBufferPointer { HTTPSyntax.equals($0, literal) }, "\(literal) at \(position)")
            }
            #expect(!(bytes + [0x61]).withUnsafeBufferPointer { HTTPSyntax.equals($0, literal) })
        }
    }

    @Test(arguments: [
        "Host", "host", "HOST", "Accept", "accept", "Cookie", "Origin", "Expect", "Referer", "X-API-Key", "User-Agent",
        "user-agent", "Connection", "Content-Type", "X-Request-Id", "x-request-id", "Authorization", "Cache-Control",
        "If-None-Match", "Content-Length", "Accept-Encoding", "Accept-Language", "X-Forwarded-For", "Idempotency-Key",
        "Transfer-Encoding", "X-Forwarded-Proto", "If-Modified-Since", "X-Custom", "A", "Upgrade-Insecure-Requests",
        "Hosts", "Hos", "ACCEPT-ENCODING",
    ])
    func fieldNameIsTheSentSpelling(name: String) {
        let made = Array(name.utf8).withUnsafeBufferPointer { HTTPSyntax.fieldName($0) }
        #expect(made == name)
        #expect(Array(made.utf8) == Array(name.utf8))
    }

    @Test func stringMatchesDecoding() {
        for input in randomInputs(alphabet: valueAlphabet, count: 2000, seed: 5) {
            let ascii = input.allSatisfy { $0 < 0x80 }
            let made = input.withUnsafeBufferPointer { HTTPSyntax.string($0, ascii: ascii) }
            #expect(made == String(decoding: input, as: UTF8.self), "\(input)")
        }
    }
}
