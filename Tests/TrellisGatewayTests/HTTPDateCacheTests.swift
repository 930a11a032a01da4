import Testing
@testable import TrellisGateway

@Suite struct HTTPDateCacheTests {
    // 784111777 is the example instant of RFC 9110 section 5.6.7.
    @Test(arguments: [
        (784_111_777, "Sun, 06 Nov 1994 08:49:37 GMT"),
        (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
        (1_709_164_800, "Thu, 29 Feb 2024 00:00:00 GMT"),
    ])
    func formatsIMFFixdate(time: Int, expected: String) {
        var cache = HTTPDateCache()
        #expect(String(decoding: cache.value(at: time), as: UTF8.self) == expected)
    }

    @Test func cacheFollowsSecond() {
        var cache = HTTPDateCache()
        let first = cache.value(at: 784_111_777)
        #expect(cache.value(at: 784_111_777) == first)
        #expect(String(decoding: cache.value(at: 784_111_778), as: UTF8.self) == "Sun, 06 Nov 1994 08:49:38 GMT")
    }
}
