import Testing
import TrellisCore

@Suite struct HeadersTests {
    @Test func lookupIgnoresLetterCase() {
        let headers = Headers([("Content-Type", "text/plain"), ("X-Trace", "a")])
        #expect(headers["content-type"] == "text/plain")
        #expect(headers["CONTENT-TYPE"] == "text/plain")
        #expect(headers["x-trace"] == "a")
        #expect(headers["Content-Length"] == nil)
    }

    @Test(arguments: [
        ("a-b", "A-B", true), ("a-b", "a_b", false), ("[", "{", false), ("@", "`", false), ("abc", "abcd", false),
        ("Accept", "accept", true), ("x1", "X1", true),
    ])
    func namesEqualFoldsLettersOnly(lhs: String, rhs: String, equal: Bool) {
        #expect(Headers.namesEqual(lhs, rhs) == equal)
    }

    @Test func setterReplacesEveryOccurrence() {
        var headers = Headers([("Set-Cookie", "a=1"), ("set-cookie", "b=2")])
        #expect(headers.values(for: "Set-Cookie") == ["a=1", "b=2"])
        headers["SET-COOKIE"] = "c=3"
        #expect(headers.values(for: "set-cookie") == ["c=3"])
        headers["set-cookie"] = nil
        #expect(headers.count == 0)
    }

    @Test func initFromLabeledFieldsKeepsOrderAndDuplicates() {
        let headers = Headers(fields: [(name: "Accept", value: "a"), (name: "X-Id", value: "1"), (name: "accept", value: "b")])
        #expect(headers.count == 3)
        #expect(headers.values(for: "ACCEPT") == ["a", "b"])
        #expect(headers == Headers([("Accept", "a"), ("X-Id", "1"), ("accept", "b")]))
    }

    @Test func reserveCapacityKeepsFields() {
        var headers = Headers([("A", "1")])
        headers.reserveCapacity(8)
        headers.add("B", "2")
        #expect(headers == Headers([("A", "1"), ("B", "2")]))
    }
}
