import Testing
import TrellisDecorators

@Suite struct DigestTests {
    // FIPS 180-2, appendix B.1 and B.2.
    @Test(arguments: [
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    ])
    func sha256KnownVectors(input: String, expected: String) {
        #expect(Digest.hex(Digest.sha256(input)) == expected)
    }

    @Test func sha256SameForEveryCollection() {
        let text = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
        let expected = Digest.sha256(text)
        #expect(Digest.sha256(Array(text.utf8)) == expected)
        #expect(Digest.sha256(text.utf8) == expected)
        // A lazy map has no contiguous storage, so it takes the copying path.
        #expect(Digest.sha256(text.utf8.lazy.map { $0 }) == expected)
        #expect(Digest.sha256(Array(text.utf8)[...]) == expected)
    }

    // RFC 4231, test cases 1 and 2.
    @Test func hmacSHA256KnownVectors() {
        let key1 = [UInt8](repeating: 0x0b, count: 20)
        #expect(Digest.hex(Digest.hmacSHA256(key: key1, data: Array("Hi There".utf8)))
            == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        #expect(Digest.hex(Digest.hmacSHA256(key: Array("Jefe".utf8), data: Array("what do ya want for nothing?".utf8)))
            == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func hmacSHA256EmptyKeyAndData() {
        // Computed with `printf '' | openssl dgst -sha256 -hmac ''`.
        #expect(Digest.hex(Digest.hmacSHA256(key: [], data: []))
            == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad")
    }

    @Test(arguments: [
        ([1, 2, 3], [1, 2, 3], true),
        ([1, 2, 3], [1, 2, 4], false),
        ([1, 2, 3], [1, 2], false),
        ([], [], true),
        ([], [0], false),
    ] as [([UInt8], [UInt8], Bool)])
    func constantTimeEqualTable(lhs: [UInt8], rhs: [UInt8], expected: Bool) {
        #expect(Digest.constantTimeEqual(lhs, rhs) == expected)
    }

    @Test func hexRoundTripAndRejects() {
        #expect(Digest.bytes(fromHex: "00ffA5") == [0x00, 0xFF, 0xA5])
        #expect(Digest.hex([0x00, 0xFF, 0xA5]) == "00ffa5")
        #expect(Digest.bytes(fromHex: "abc") == nil)
        #expect(Digest.bytes(fromHex: "zz") == nil)
    }
}
