import Foundation

/// Computes HMAC-SHA256 tags with the `openssl` command-line tool, independently of the code under test.
enum OpenSSLHMAC {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Returns the lower-case hex tag of `data` under the text key `key`.
    static func hexTag(key: String, data: [UInt8]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = ["dgst", "-sha256", "-hmac", key]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data(data))
        try input.fileHandleForWriting.close()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0, let range = text.range(of: "= ") else {
            throw Failure(description: "openssl dgst failed with status \(process.terminationStatus): \(text)")
        }
        let hex = text[range.upperBound...].trimmingCharacters(in: .whitespacesAndNewlines)
        guard hex.count == 64 else { throw Failure(description: "openssl printed an unexpected tag: \(text)") }
        return hex
    }

    static func hexTag(key: String, text: String) throws -> String { try hexTag(key: key, data: Array(text.utf8)) }
}
