import Testing
@testable import TrellisCore

@Suite struct RequestIDTests {
    @Test(arguments: ["abc", "A-b_c.d:e", String(repeating: "x", count: 128)])
    func validIncomingIdIsKept(id: String) {
        #expect(RequestID.resolve(incoming: id) == id)
    }

    @Test(arguments: ["", "has space", "quote\"", "new\nline", String(repeating: "x", count: 129), "é"])
    func invalidIncomingIdIsReplaced(id: String) {
        let resolved = RequestID.resolve(incoming: id)
        #expect(resolved != id)
        #expect(RequestID.isValid(resolved))
    }

    @Test func generatedIdsAreUniqueHex() {
        let ids = (0..<10_000).map { _ in RequestID.generate() }
        #expect(Set(ids).count == ids.count)
        #expect(ids.allSatisfy { $0.utf8.count == 32 })
        #expect(ids.allSatisfy { $0.allSatisfy(\.isHexDigit) })
    }

    @Test(arguments: [0, 1, 0x9, 0xA, 0xF, 0x1234_ABCD, 0xFFFF_FFFF, 0x8000_0001] as [UInt32])
    func hexDigitsMatchRadix16(value: UInt32) {
        let word = RequestID.hexDigits(value)
        let text = withUnsafeBytes(of: word) { String(decoding: $0, as: UTF8.self) }
        let expected = String(value, radix: 16)
        #expect(text == String(repeating: "0", count: 8 - expected.count) + expected)
    }

    @Test func generatedIdsShareProcessPrefix() {
        let first = RequestID.generate()
        let second = RequestID.generate()
        #expect(first.prefix(16) == second.prefix(16))
        #expect(first.suffix(16) != second.suffix(16))
        #expect(RequestID.isValid(first))
    }
}
