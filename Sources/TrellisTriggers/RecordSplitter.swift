import TrellisCore

/// Splits a file's bytes into records, one event each, per `FileSettings.Split`.
///
/// - `none`: the whole file as one record, byte for byte (an empty file gives one empty record).
/// - `lines`: one record per line without its `LF` or `CRLF`. Lines of zero length are skipped, but lines
///   of spaces are records. A leading UTF-8 byte order mark is removed.
/// - `ndjson`: one record per line that is not blank (spaces and tabs only); each must be one JSON text
///   (RFC 8259, any type), and the record's data is the line's bytes unchanged. A line that is not valid
///   JSON is a record error with its line number, and later lines still become records.
/// - `csv`: RFC 4180 with the rules listed at `CSVReader`. The first row is the header and gives the keys;
///   every later row becomes a JSON object of strings, such as `{"date":"2012-01-01","wind":"4.7"}`.
///
/// Record numbers and line numbers are 1-based; line numbers count every physical line of the file, the
/// byte order mark and the CSV header included.
public enum RecordSplitter {
    /// One record: its data, or why it could not be made.
    public struct Record: Sendable, Equatable {
        /// The record number within the file, counting failed records and not the CSV header.
        public var index: Int
        /// The line the record starts on.
        public var line: Int
        public var result: Result<[UInt8], RecordError>

        public init(index: Int, line: Int, result: Result<[UInt8], RecordError>) {
            self.index = index
            self.line = line
            self.result = result
        }

        public var data: [UInt8]? { try? result.get() }
    }

    /// A record that could not be made, such as an invalid JSON line or a CSV row with the wrong field count.
    public struct RecordError: Error, Sendable, Equatable, CustomStringConvertible {
        public var line: Int
        public var message: String

        public init(line: Int, message: String) {
            self.line = line
            self.message = message
        }

        public var description: String { "line \(line): \(message)" }
    }

    /// A problem with the file as a whole, so that no record can be made: a CSV header that is unreadable
    /// or names a column twice.
    public struct FileError: Error, Sendable, Equatable, CustomStringConvertible {
        public var line: Int
        public var message: String
        public var description: String { "line \(line): \(message)" }
    }

    static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    /// Splits `bytes` per `split`. Throws `FileError` only for `csv`, when the header is unusable.
    public static func split(_ bytes: [UInt8], as split: FileSettings.Split) throws(FileError) -> [Record] {
        switch split {
        case .none:
            return [Record(index: 1, line: 1, result: .success(bytes))]
        case .lines:
            return splitLines(withoutByteOrderMark(bytes))
        case .ndjson:
            return splitNDJSON(withoutByteOrderMark(bytes))
        case .csv:
            return try CSVReader.records(withoutByteOrderMark(bytes))
        }
    }

    static func withoutByteOrderMark(_ bytes: [UInt8]) -> ArraySlice<UInt8> {
        bytes.starts(with: byteOrderMark) ? bytes[3...] : bytes[...]
    }

    /// The lines of `bytes` without their `LF` or `CRLF`, with their 1-based line numbers. A final line
    /// without `LF` counts; the empty text after a final `LF` does not.
    static func lines(_ bytes: ArraySlice<UInt8>) -> [(number: Int, text: ArraySlice<UInt8>)] {
        var result: [(number: Int, text: ArraySlice<UInt8>)] = []
        var start = bytes.startIndex
        var number = 1
        while start < bytes.endIndex {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.endIndex
            var text = bytes[start..<end]
            if text.last == UInt8(ascii: "\r") { text = text.dropLast() }
            result.append((number, text))
            number += 1
            start = end == bytes.endIndex ? end : end + 1
        }
        return result
    }

    private static func splitLines(_ bytes: ArraySlice<UInt8>) -> [Record] {
        var records: [Record] = []
        for line in lines(bytes) where !line.text.isEmpty {
            records.append(Record(index: records.count + 1, line: line.number, result: .success(Array(line.text))))
        }
        return records
    }

    private static func splitNDJSON(_ bytes: ArraySlice<UInt8>) -> [Record] {
        var records: [Record] = []
        for line in lines(bytes) {
            guard line.text.contains(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }) else { continue }
            let result: Result<[UInt8], RecordError>
            do {
                _ = try JSON.parse(line.text)
                result = .success(Array(line.text))
            } catch {
                let message = "invalid JSON at column \(error.column): \(error.message)"
                result = .failure(RecordError(line: line.number, message: message))
            }
            records.append(Record(index: records.count + 1, line: line.number, result: result))
        }
        return records
    }
}
