import Testing
import TrellisDecorators

@Suite struct Base64URLTests {
    // RFC 4648, section 10, without padding.
    @Test(arguments: [
        ("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE"), ("foobar", "Zm9vYmFy"),
    ])
    func knownVectors(plain: String, encoded: String) {
        #expect(Base64URL.encode(plain) == encoded)
        #expect(Base64URL.decode(encoded) == Array(plain.utf8))
    }

    @Test func urlAlphabetBytes() {
        #expect(Base64URL.encode([0xFB, 0xFF]) == "-_8")
        #expect(Base64URL.decode("-_8") == [0xFB, 0xFF])
    }

    @Test(arguments: [
        "Zg==",     // padding
        "Zm9v+w",   // standard-alphabet character
        "Zm9v/w",
        "Zm9vY",    // one character left in the last group
        "Zh",       // nonzero unused bits
        "Zm9 v",    // space
        "Zm9v\n",
        "Zm9vé",
    ])
    func decodeRejectsNonCanonical(text: String) {
        #expect(Base64URL.decode(text) == nil)
    }
}
