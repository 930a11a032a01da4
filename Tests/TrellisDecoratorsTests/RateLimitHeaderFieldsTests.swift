import Testing
import TrellisDecorators

@Suite struct RateLimitHeaderFieldsTests {
    /// (name, remaining tokens, cost, window seconds, expected field value)
    static let limitCases: [(String, Double, Double, UInt64, String)] = [
        ("client", 3, 1, 2, "\"client\";r=3;t=2"),
        ("client", 0, 1, 0, "\"client\";r=0;t=0"),
        ("p", 9.99, 1, 10, "\"p\";r=9;t=10"),
        ("tenant", 10, 3, 7, "\"tenant\";r=3;t=7"),
        ("zero-cost", 5.5, 0, 1, "\"zero-cost\";r=5;t=1"),
        ("max", 1e30, 1, UInt64.max, "\"max\";r=18446744073709551615;t=18446744073709551615"),
        (String(repeating: "n", count: RateLimitHeaderFields.maxPolicyNameLength), 1, 1, 1,
         "\"" + String(repeating: "n", count: RateLimitHeaderFields.maxPolicyNameLength) + "\";r=1;t=1"),
    ]

    @Test(arguments: limitCases)
    func limitFormatsFieldValue(testCase: (String, Double, Double, UInt64, String)) {
        let (name, remaining, cost, window, expected) = testCase
        #expect(RateLimitHeaderFields.limit(name: name, remaining: remaining, cost: cost, windowSeconds: window) == expected)
    }

    @Test func limitMatchesInterpolationForEveryDigitCount() {
        var value: UInt64 = 1
        for _ in 0..<20 {
            for candidate in [value - 1, value, value + 1] {
                let formatted = RateLimitHeaderFields.limit(name: "a", remaining: 0, cost: 1, windowSeconds: candidate)
                #expect(formatted == "\"a\";r=0;t=\(candidate)")
            }
            value = value.multipliedReportingOverflow(by: 10).partialValue
        }
    }
}
