import Foundation
import TrellisTestSupport

/// Computes HMAC-SHA256 tags with the `openssl` command-line tool, independently of the code under test.
enum OpenSSLHMAC {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Returns the lower-case hex tag of `data` under the text key `key`.
    static func hexTag(key: String, data: [UInt8]) throws -> String {
        let child = try ChildProcess(
            executable: "/usr/bin/openssl", arguments: ["dgst", "-sha256", "-hmac", key],
            environment: ProcessInfo.processInfo.environment)
        child.closeInput(after: data)
        let text = String(decoding: PipeReader.readToEnd(descriptor: child.output), as: UTF8.self)
        let status = child.waitExit()
        guard status == 0, let range = text.range(of: "= ") else {
            throw Failure(description: "openssl dgst failed with status \(status): \(text)")
        }
        let hex = text[range.upperBound...].trimmingCharacters(in: .whitespacesAndNewlines)
        guard hex.count == 64 else { throw Failure(description: "openssl printed an unexpected tag: \(text)") }
        return hex
    }

    static func hexTag(key: String, text: String) throws -> String { try hexTag(key: key, data: Array(text.utf8)) }
}
