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
    static func standardError(_ text: String) {
        var line = text
        if !line.hasSuffix("\n") { line += "\n" }
        line.withUTF8 { bytes in _ = Glibc.write(STDERR_FILENO, bytes.baseAddress, bytes.count) }
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
