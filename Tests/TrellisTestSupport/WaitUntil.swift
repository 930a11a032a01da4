/// Polls `condition` every `pollMilliseconds` for at most `seconds`; returns whether it became true.
public func waitUntil(seconds: Double = 3, pollMilliseconds: Int = 10, _ condition: () -> Bool) async -> Bool {
    let end = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
    while ContinuousClock.now < end {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(pollMilliseconds))
    }
    return condition()
}
