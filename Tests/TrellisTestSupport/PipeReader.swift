import Foundation

/// Reading a child process's output pipes.
public enum PipeReader {}

extension PipeReader {
    /// Reads `handle` to its end with `read(2)`, retrying after EINTR; Foundation's
    /// `readDataToEndOfFile` traps when a signal interrupts the read.
    public static func readToEnd(_ handle: FileHandle) -> [UInt8] {
        readToEnd(descriptor: handle.fileDescriptor)
    }

    public static func readToEnd(descriptor: Int32) -> [UInt8] {
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count > 0 {
                data.append(contentsOf: chunk[0..<count])
            } else if count < 0 && errno == EINTR {
                continue
            } else {
                return data
            }
        }
    }
}
