import TrellisCore

/// Reads CSV (RFC 4180) into `RecordSplitter` records: the first row is the header, and each later row
/// becomes a JSON object that maps the header's names to the row's fields as strings.
///
/// Rules, with the places where this reader is more lenient than RFC 4180:
/// - Fields are separated by `,` and rows end at `CRLF` or `LF` (the RFC requires `CRLF`). A `CR` not
///   followed by `LF` is data.
/// - A field that starts with `"` is quoted: it may contain `,`, `CR` and `LF`, and `""` stands for one `"`.
///   Only `,` or the end of the row may follow its closing quote; anything else makes the row a record error.
/// - A `"` inside a field that did not start with one is data (the RFC forbids it; spreadsheets write it).
/// - Spaces around fields are data. Empty lines are skipped anywhere, so a final line break adds no row.
/// - A row whose field count differs from the header's, whose quote is never closed, or whose fields are
///   not valid UTF-8 is a record error on the line where the row starts; reading goes on with the next row.
/// - A header that names a column twice, or that has one of those row errors, is a `FileError`.
enum CSVReader {
    /// One row as read, before it is checked against the header.
    struct Row {
        var line: Int
        var fields: [[UInt8]]
        var error: String?
    }

    static func records(_ bytes: ArraySlice<UInt8>) throws(RecordSplitter.FileError) -> [RecordSplitter.Record] {
        var reader = RowReader(bytes: bytes)
        guard let header = reader.next() else { return [] }
        if let error = header.error { throw RecordSplitter.FileError(line: header.line, message: "invalid header: \(error)") }
        var keys: [String] = []
        for field in header.fields {
            guard let key = String(validating: field, as: UTF8.self) else {
                throw RecordSplitter.FileError(line: header.line, message: "invalid header: a column name is not valid UTF-8")
            }
            guard !keys.contains(key) else {
                throw RecordSplitter.FileError(line: header.line, message: "invalid header: the column \"\(key)\" appears twice")
            }
            keys.append(key)
        }

        var records: [RecordSplitter.Record] = []
        while let row = reader.next() {
            let result = object(for: row, keys: keys)
            records.append(RecordSplitter.Record(index: records.count + 1, line: row.line, result: result))
        }
        return records
    }

    private static func object(for row: Row, keys: [String]) -> Result<[UInt8], RecordSplitter.RecordError> {
        func failure(_ message: String) -> Result<[UInt8], RecordSplitter.RecordError> {
            .failure(RecordSplitter.RecordError(line: row.line, message: message))
        }
        if let error = row.error { return failure(error) }
        guard row.fields.count == keys.count else {
            return failure("the row has \(row.fields.count) fields, but the header has \(keys.count)")
        }
        var members: [(key: String, value: JSON)] = []
        members.reserveCapacity(keys.count)
        for (key, field) in zip(keys, row.fields) {
            guard let value = String(validating: field, as: UTF8.self) else {
                return failure("the field \"\(key)\" is not valid UTF-8")
            }
            members.append((key: key, value: .string(value)))
        }
        return .success(Array(JSON.object(members).serialized().utf8))
    }

    /// Reads rows one at a time, tracking physical line numbers.
    struct RowReader {
        let bytes: ArraySlice<UInt8>
        var position: Int
        var line = 1

        init(bytes: ArraySlice<UInt8>) {
            self.bytes = bytes
            position = bytes.startIndex
        }

        private static let quote = UInt8(ascii: "\"")
        private static let comma = UInt8(ascii: ",")
        private static let lineFeed = UInt8(ascii: "\n")
        private static let carriageReturn = UInt8(ascii: "\r")

        /// The length of the line break at `index` (1 for `LF`, 2 for `CRLF`), or 0 when there is none.
        private func lineBreak(at index: Int) -> Int {
            guard index < bytes.endIndex else { return 0 }
            if bytes[index] == Self.lineFeed { return 1 }
            if bytes[index] == Self.carriageReturn, index + 1 < bytes.endIndex, bytes[index + 1] == Self.lineFeed { return 2 }
            return 0
        }

        /// Returns the next row that is not an empty line, or nil at the end.
        mutating func next() -> Row? {
            while lineBreak(at: position) > 0 {
                position += lineBreak(at: position)
                line += 1
            }
            guard position < bytes.endIndex else { return nil }

            var row = Row(line: line, fields: [], error: nil)
            var field: [UInt8] = []
            while true {
                if position < bytes.endIndex, bytes[position] == Self.quote {
                    readQuoted(into: &field, row: &row)
                } else {
                    readUnquoted(into: &field)
                }
                row.fields.append(field)
                field = []
                if position < bytes.endIndex, bytes[position] == Self.comma {
                    position += 1
                    continue
                }
                let breakLength = lineBreak(at: position)
                if breakLength > 0 {
                    position += breakLength
                    line += 1
                }
                return row
            }
        }

        private mutating func readUnquoted(into field: inout [UInt8]) {
            let start = position
            while position < bytes.endIndex, bytes[position] != Self.comma, lineBreak(at: position) == 0 { position += 1 }
            field.append(contentsOf: bytes[start..<position])
        }

        private mutating func readQuoted(into field: inout [UInt8], row: inout Row) {
            let openingLine = line
            position += 1
            while position < bytes.endIndex {
                let byte = bytes[position]
                if byte == Self.quote {
                    if position + 1 < bytes.endIndex, bytes[position + 1] == Self.quote {
                        field.append(Self.quote)
                        position += 2
                        continue
                    }
                    position += 1
                    if position < bytes.endIndex, bytes[position] != Self.comma, lineBreak(at: position) == 0 {
                        row.error = row.error ?? "unexpected character after the closing quote of field \(row.fields.count + 1)"
                        // Keep the rest as data so the row still ends where a reader would expect it.
                        readUnquoted(into: &field)
                    }
                    return
                }
                if byte == Self.lineFeed { line += 1 }
                field.append(byte)
                position += 1
            }
            row.error = row.error ?? "the quoted field \(row.fields.count + 1) opened on line \(openingLine) is never closed"
        }
    }
}
