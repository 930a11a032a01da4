import Foundation
import Testing
@testable import TrellisTriggers

/// A fresh folder under the system temporary directory, removed by `remove()`.
struct TemporaryFolder {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "trellis-scanner-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
    }

    func write(_ name: String, _ text: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path + "/" + name))
    }

    func names(in subfolder: String = "") throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path + "/" + subfolder).sorted()
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

struct FolderScannerTests {
    static func scanner(_ folder: TemporaryFolder, pattern: String = "*", stableFor: Duration = .seconds(1)) throws -> FolderScanner {
        var settings = FileSettings(path: folder.path)
        settings.pattern = pattern
        settings.stableFor = stableFor
        return try FolderScanner(settings: settings)
    }

    @Test func candidatesSkipTemporaryFoldersAndLinks() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        for name in ["a.csv", "b.csv", "c.txt", ".hidden.csv", "d.csv.part", "e.csv.tmp"] { try folder.write(name, "x") }
        try FileManager.default.createDirectory(atPath: folder.path + "/done", withIntermediateDirectories: false)
        try FileManager.default.createDirectory(atPath: folder.path + "/sub.csv", withIntermediateDirectories: false)
        try folder.write("done/old.csv", "x")
        try FileManager.default.createSymbolicLink(atPath: folder.path + "/link.csv", withDestinationPath: folder.path + "/a.csv")

        let candidates = try Self.scanner(folder, pattern: "*.csv").candidates()
        #expect(candidates.map(\.name) == ["a.csv", "b.csv"])
        #expect(candidates.first?.size == 1)
        #expect(candidates.first?.path == folder.path + "/a.csv")
    }

    @Test func missingFolderThrows() throws {
        var settings = FileSettings(path: "/nonexistent/trellis-scanner")
        settings.pattern = "*"
        let scanner = try FolderScanner(settings: settings)
        #expect(throws: FolderScanner.FileSystemError.self) { try scanner.candidates() }
    }

    @Test func fileCompletesAfterStablePeriodOnce() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        var scanner = try Self.scanner(folder)
        let t0 = ContinuousClock.now

        try folder.write("a.csv", "1")
        #expect(try scanner.scan(now: t0).isEmpty)
        #expect(try scanner.scan(now: t0 + .milliseconds(999)).isEmpty)
        #expect(try scanner.scan(now: t0 + .seconds(1)).map(\.name) == ["a.csv"])
        #expect(try scanner.scan(now: t0 + .seconds(2)).isEmpty)
    }

    @Test func growingFileRestartsStablePeriod() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        var scanner = try Self.scanner(folder)
        let t0 = ContinuousClock.now

        try folder.write("a.csv", "1")
        #expect(try scanner.scan(now: t0).isEmpty)
        try folder.write("a.csv", "12")
        #expect(try scanner.scan(now: t0 + .seconds(1)).isEmpty)
        #expect(try scanner.scan(now: t0 + .milliseconds(1500)).isEmpty)
        #expect(try scanner.scan(now: t0 + .seconds(2)).map(\.size) == [2])
    }

    @Test func zeroStableForCompletesAtOnce() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        var scanner = try Self.scanner(folder, stableFor: .zero)
        try folder.write("a.csv", "1")
        #expect(try scanner.scan(now: ContinuousClock.now).map(\.name) == ["a.csv"])
    }

    @Test func forgetReportsAgain() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        var scanner = try Self.scanner(folder, stableFor: .zero)
        let t0 = ContinuousClock.now
        try folder.write("a.csv", "1")
        #expect(try scanner.scan(now: t0).count == 1)
        scanner.forget("a.csv")
        #expect(try scanner.scan(now: t0 + .seconds(1)).count == 1)
    }

    @Test func moveCreatesFolderAndNeverOverwrites() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        for round in 1...3 {
            try folder.write("data.csv", "round \(round)")
            _ = try FolderScanner.move(folder.path + "/data.csv", to: .done, in: folder.path)
        }
        try folder.write("README", "x")
        let moved = try FolderScanner.move(folder.path + "/README", to: .failed, in: folder.path)

        #expect(try folder.names(in: "done") == ["data-1.csv", "data-2.csv", "data.csv"])
        #expect(try String(contentsOfFile: folder.path + "/done/data.csv", encoding: .utf8) == "round 1")
        #expect(try String(contentsOfFile: folder.path + "/done/data-2.csv", encoding: .utf8) == "round 3")
        #expect(moved == folder.path + "/failed/README")
        #expect(try folder.names() == ["done", "failed"])
    }

    @Test func moveOfMissingFileThrowsAndLeavesNoReservation() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        #expect(throws: FolderScanner.FileSystemError.self) {
            try FolderScanner.move(folder.path + "/absent.csv", to: .failed, in: folder.path)
        }
        #expect(try folder.names(in: "failed").isEmpty)
    }

    @Test(arguments: [
        ("data.csv", 1, "data-1.csv"), ("archive.tar.gz", 2, "archive.tar-2.gz"), ("README", 3, "README-3"),
        (".env", 1, ".env-1"), ("data.csv", 0, "data.csv"),
    ])
    func numberedNames(name: String, suffix: Int, expected: String) {
        #expect(FolderScanner.numbered(name, suffix) == expected)
    }
}
