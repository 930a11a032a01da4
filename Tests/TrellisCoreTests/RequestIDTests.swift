import Testing
import TrellisCore

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
}
