import Foundation
import Synchronization

/// A clock the test moves by hand, in Unix seconds.
final class ManualClock: Sendable {
    private let current: Mutex<Double>

    init(_ start: Double = 1_700_000_000) { current = Mutex(start) }

    var now: Double { current.withLock { $0 } }

    func set(_ time: Double) { current.withLock { $0 = time } }

    func advance(by seconds: Double) { current.withLock { $0 += seconds } }

    var reading: @Sendable () -> Double { { self.now } }
}

/// A fresh folder under the system temporary folder; `remove()` deletes it with its contents.
struct TemporaryFolder {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("trellis-queue-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func remove() { try? FileManager.default.removeItem(at: url) }
}
