import Foundation
import Glibc

/// Lists the files of a file trigger's folder and decides when each is complete.
///
/// Candidates are the regular files directly in the folder (not symbolic links, not in subfolders such as
/// `done/` and `failed/`) whose name the trigger's glob accepts. A file is complete when its size and
/// modification time stayed the same for `stableFor`, measured on the monotonic instants passed to `scan`,
/// so a file needs two scans `stableFor` apart unless `stableFor` is 0. Each version of a file (size and
/// modification time) is reported once; `forget` makes the scanner report it again.
///
/// Files larger than `FileSettings.maxFileBytes` are reported like the others; the caller moves them to
/// `failed/`. The scanner is a value without a lock: use it from one thread.
public struct FolderScanner: Sendable {
    /// A file in the folder with the size and modification time seen by the last scan.
    public struct Candidate: Sendable, Equatable {
        public var name: String
        /// The folder and the name joined.
        public var path: String
        /// Bytes.
        public var size: Int
        /// Nanoseconds since the Unix epoch.
        public var modifiedNanoseconds: Int64
    }

    /// A failed file-system call: `operation` is the call (`opendir`, `rename`), `path` what it ran on.
    public struct FileSystemError: Error, Sendable, Equatable, CustomStringConvertible {
        public var operation: String
        public var path: String
        public var code: Int32

        public var description: String { "\(operation) failed on \(path): \(String(cString: strerror(code)))" }
    }

    /// The subfolder of the watched folder that a processed file moves to.
    public enum Destination: String, Sendable {
        case done
        case failed
    }

    /// The maximum number suffix `move` tries on a clash (`name-1.csv` to `name-1000.csv`).
    public static let maxRenameSuffix = 1000

    private struct Observation {
        var size: Int
        var modified: Int64
        var unchangedSince: ContinuousClock.Instant
        var reported: Bool
    }

    public let folder: String
    public let glob: FileGlob
    public let stableFor: Duration
    private var observations: [String: Observation] = [:]
    /// Names in the folder that are not valid UTF-8, as found by the last scan, with invalid bytes shown
    /// as U+FFFD. Such a file cannot be opened through its decoded name, so it is skipped; the caller
    /// reports it so an operator can rename it.

    /// Throws `FileGlob.ParseError` when the settings' pattern is invalid.
    public init(settings: FileSettings) throws(FileGlob.ParseError) {
        folder = settings.path
        glob = try FileGlob(settings.pattern)
        stableFor = settings.stableFor
    }

    /// Lists the candidates now, sorted by name. Throws `FileSystemError` when the folder cannot be read.
    public func candidates() throws(FileSystemError) -> [Candidate] {
        guard let directory = opendir(folder) else { throw FileSystemError(operation: "opendir", path: folder, code: errno) }
        defer { closedir(directory) }
        var result: [Candidate] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard name != ".", name != "..", glob.accepts(name) else { continue }
            let path = (folder as NSString).appendingPathComponent(name)
            var status = stat()
            // lstat, so a symbolic link is seen as a link and skipped. A file removed since readdir is skipped too.
            guard lstat(path, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { continue }
            let modified = Int64(status.st_mtim.tv_sec) * 1_000_000_000 + Int64(status.st_mtim.tv_nsec)
            result.append(Candidate(name: name, path: path, size: Int(status.st_size), modifiedNanoseconds: modified))
        }
        return result.sorted { $0.name < $1.name }
    }

    /// Scans the folder at monotonic instant `now` and returns the files that became complete, once each.
    public private(set) var invalidNames: [String] = []

    public mutating func scan(now: ContinuousClock.Instant) throws(FileSystemError) -> [Candidate] {
        invalidNames = try Self.invalidUTF8Names(in: folder)
        let listed = try candidates()
        var complete: [Candidate] = []
        var seen: [String: Observation] = [:]
        for candidate in listed {
            var observation = observations[candidate.name] ?? Observation(
                size: candidate.size, modified: candidate.modifiedNanoseconds, unchangedSince: now, reported: false)
            if observation.size != candidate.size || observation.modified != candidate.modifiedNanoseconds {
                observation = Observation(
                    size: candidate.size, modified: candidate.modifiedNanoseconds, unchangedSince: now, reported: false)
            }
            if !observation.reported, now - observation.unchangedSince >= stableFor {
                observation.reported = true
                complete.append(candidate)
            }
            seen[candidate.name] = observation
        }
        // Files gone from the folder are forgotten, so a new file under the same name starts over.
        observations = seen
        return complete
    }

    static func invalidUTF8Names(in folder: String) throws(FileSystemError) -> [String] {
        guard let directory = opendir(folder) else { throw FileSystemError(operation: "opendir", path: folder, code: errno) }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let bytes = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            if String(validating: bytes, as: UTF8.self) == nil {
                names.append(String(decoding: bytes, as: UTF8.self))
            }
        }
        return names
    }

    /// Drops the observations of `name`, so a later scan may report it again, for example after
    /// its events could not be stored.
    public mutating func forget(_ name: String) {
        observations[name] = nil
    }

    /// Moves `path` into the `destination` subfolder of `folder`, creating it, and returns the new path.
    /// Never overwrites: on a clash the name gets a number before its extension (`data-1.csv`).
    ///
    /// The move is a `rename(2)`, so it is atomic and both folders must be on one file system. The target
    /// name is first reserved by creating an empty file with `O_EXCL`, which the rename then replaces. A
    /// crash between the two steps leaves that empty file in the destination, never two copies of the data.
    /// Throws `FileSystemError` when a call fails or all `maxRenameSuffix` names are taken.
    public static func move(_ path: String, to destination: Destination, in folder: String) throws(FileSystemError) -> String {
        let target = (folder as NSString).appendingPathComponent(destination.rawValue)
        if mkdir(target, 0o755) != 0, errno != EEXIST { throw FileSystemError(operation: "mkdir", path: target, code: errno) }

        let name = (path as NSString).lastPathComponent
        for suffix in 0...maxRenameSuffix {
            let candidate = (target as NSString).appendingPathComponent(numbered(name, suffix))
            let reservation = open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if reservation < 0 {
                if errno == EEXIST { continue }
                throw FileSystemError(operation: "open", path: candidate, code: errno)
            }
            close(reservation)
            guard rename(path, candidate) == 0 else {
                let code = errno
                unlink(candidate)
                throw FileSystemError(operation: "rename", path: path, code: code)
            }
            return candidate
        }
        throw FileSystemError(operation: "rename", path: path, code: EEXIST)
    }

    /// `name` with `-suffix` before its extension; suffix 0 leaves it unchanged. A leading dot is not an extension.
    static func numbered(_ name: String, _ suffix: Int) -> String {
        guard suffix > 0 else { return name }
        if let dot = name.lastIndex(of: "."), dot != name.startIndex {
            return "\(name[..<dot])-\(suffix)\(name[dot...])"
        }
        return "\(name)-\(suffix)"
    }
}
