import Glibc

/// Exit statuses of the `trellis` command.
enum ExitStatus {
    static let success: Int32 = 0
    /// A failed command: an invalid config, an unknown function, a 4xx or 5xx from `invoke`.
    static let failure: Int32 = 1
    /// A usage error: unknown option, missing argument.
    static let usage: Int32 = 2
}

enum Output {
    /// Writes `text` and a line break to standard error with one unbuffered write.
    static func standardError(_ text: String) { writeLine(text, to: STDERR_FILENO) }

    /// Writes `text` and a line break to standard output with one unbuffered write, so it cannot be
    /// reordered with the log lines the server writes to the same descriptor.
    static func standardOutput(_ text: String) { writeLine(text, to: STDOUT_FILENO) }

    private static func writeLine(_ text: String, to fileDescriptor: Int32) {
        var line = text
        if !line.hasSuffix("\n") { line += "\n" }
        line.withUTF8 { bytes in _ = Glibc.write(fileDescriptor, bytes.baseAddress, bytes.count) }
    }

    /// Columns padded to the widest cell, two spaces apart.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[column] - cell.count)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
