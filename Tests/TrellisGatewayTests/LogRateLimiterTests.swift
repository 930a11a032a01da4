import Testing
@testable import TrellisGateway

@Suite struct LogRateLimiterTests {
    @Test func oneLinePerIntervalPerKey() {
        var limiter = LogRateLimiter(intervalMilliseconds: 1_000)
        let steps: [(key: String, now: UInt64, expected: Int?)] = [
            ("read", 0, 0),
            ("read", 10, nil),
            ("write", 20, 0),
            ("read", 999, nil),
            ("read", 1_000, 2),
            ("read", 1_500, nil),
            ("read", 2_100, 1),
        ]
        for (index, step) in steps.enumerated() {
            #expect(limiter.admit(step.key, now: step.now) == step.expected, "step \(index)")
        }
    }
}
