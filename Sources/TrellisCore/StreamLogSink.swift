import Glibc
import Synchronization

/// Writes each record as one line to a file descriptor. JSON lines are written by `JSONWriter` into
/// one buffer reused under the lock, so a line costs no jansson tree and no `String`.
///
/// With a zero `flushInterval`, or when the descriptor is a terminal, each line is written at once
/// with a single `write(2)`. Otherwise lines collect in memory, as with stdio's block buffering, and
/// the buffer is written with one `write(2)` when it reaches `flushThreshold` bytes, no later than
/// `flushInterval` after its first line (by a timer thread), on `flush()`, and at `exit()`. A write
/// contains whole lines only, so concurrent lines never interleave. A crash (a signal that ends the
/// process, or `fatalError`) loses the lines still in the buffer: at most one interval's worth, and
/// no more than about `flushThreshold` bytes.
public final class StreamLogSink: LogSink {
    let fileDescriptor: Int32
    let format: LogFormat
    /// Guards the buffer (the lines not yet written, then the line being built) and keeps lines whole.
    let lock: Mutex<LineBuffer>
    /// Nil when each line is written at once.
    private let flushTimer: LogFlushTimer?

    /// The buffered bytes at which the buffer is written without waiting for the timer: 32 KiB, a few
    /// hundred access lines, so that one `write(2)` carries many lines but the buffer stays small.
    public static let flushThreshold = 32 * 1024

    /// The buffer and the timestamp cache, both used under `lock`.
    struct LineBuffer {
        var writer: JSONWriter
        var timestamps = TimestampPrefixCache()
        var checkedKeys = CheckedMetadataKeys()
    }

    /// Creates a sink for `fileDescriptor`. `format` `.auto` picks `text` for a terminal, else
    /// `json`. `flushInterval` is the longest a line waits in memory; `.zero` (the default) writes
    /// each line at once, and so does a terminal whatever the interval.
    public init(fileDescriptor: Int32 = STDOUT_FILENO, format: LogFormat = .auto, flushInterval: Duration = .zero) {
        self.fileDescriptor = fileDescriptor
        let isTerminal = isatty(fileDescriptor) == 1
        if format == .auto {
            self.format = isTerminal ? .text : .json
        } else {
            self.format = format
        }
        let buffered = flushInterval > .zero && !isTerminal
        lock = Mutex(LineBuffer(writer: JSONWriter(capacity: buffered ? Self.flushThreshold + 4096 : 1024)))
        flushTimer = buffered ? LogFlushTimer(interval: flushInterval) : nil
        if let flushTimer {
            flushTimer.start { [weak self] in self?.flush() }
            Self.register(self)
        }
    }

    deinit {
        if let flushTimer {
            flushTimer.stop()
            Self.unregister(self)
            flush()
        }
    }

    /// True when lines wait in memory instead of being written at once.
    public var isBuffered: Bool { flushTimer != nil }

    public func write(_ record: LogRecord) {
        if format == .json {
            lock.withLock { state in
                let lineStart = state.writer.count
                Self.appendJSONLine(record, to: &state.writer)
                state.writer.appendRaw(UInt8(ascii: "\n"))
                finishLine(startingAt: lineStart, in: &state)
            }
            return
        }
        var line = Self.textLine(record)
        line.append("\n")
        lock.withLock { state in
            let lineStart = state.writer.count
            line.withUTF8 { state.writer.appendRaw(contentsOf: $0) }
            finishLine(startingAt: lineStart, in: &state)
        }
    }

    /// Writes the lines in the buffer now. Safe to call from any thread; a no-op when nothing waits.
    public func flush() {
        lock.withLock { state in
            if state.writer.count > 0 { writeBuffer(&state) }
        }
    }

    /// Writes the buffer when the sink is unbuffered or the buffer reached `flushThreshold`. Otherwise
    /// arms the timer if the line just added is the only one in the buffer.
    func finishLine(startingAt lineStart: Int, in state: inout LineBuffer) {
        guard let flushTimer, state.writer.count < Self.flushThreshold else { return writeBuffer(&state) }
        if lineStart == 0 { flushTimer.arm() }
    }

    private func writeBuffer(_ state: inout LineBuffer) {
        state.writer.withUnsafeBytes(writeAll)
        state.writer.removeAll()
    }

    /// Writes `bytes` with as many `write(2)` calls as it takes, normally one. Gives up on an error
    /// other than `EINTR`, because a logger has nowhere to report its own failure.
    func writeAll(_ bytes: UnsafeRawBufferPointer) {
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(fileDescriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 && errno == EINTR { continue }
            if written <= 0 { return }
            offset += written
        }
    }

    static func jsonLine(_ record: LogRecord) -> String {
        var writer = JSONWriter()
        appendJSONLine(record, to: &writer)
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    /// Appends the record as one JSON object: `time`, `level`, `msg`, then the fields in order.
    ///
    /// A field whose key repeats an earlier key (or `time`, `level`, `msg`) is rare, and jansson's object
    /// semantics decide it: the later value replaces the earlier one in the earlier position. Such a
    /// record goes through `JSON.serialized()` so that the output stays the same.
    static func appendJSONLine(_ record: LogRecord, to writer: inout JSONWriter) {
        guard !hasRepeatedKey(record.fields) else {
            var members: [(key: String, value: JSON)] = [
                (key: "time", value: .string(Timestamp.rfc3339(record.time))),
                (key: "level", value: .string(record.level.name)),
                (key: "msg", value: .string(record.message)),
            ]
            for (key, value) in record.fields { members.append((key: key, value: value)) }
            var text = JSON.object(members).serialized()
            text.withUTF8 { writer.appendRaw(contentsOf: $0) }
            return
        }
        writer.appendRaw("{\"time\":\"")
        Timestamp.appendRFC3339(record.time, to: &writer)
        writer.appendRaw("\",\"level\":")
        writer.append(string: record.level.name)
        writer.appendRaw(",\"msg\":")
        writer.append(string: record.message)
        for (key, value) in record.fields {
            writer.appendRaw(UInt8(ascii: ","))
            writer.append(string: key)
            writer.appendRaw(UInt8(ascii: ":"))
            writer.append(value)
        }
        writer.appendRaw(UInt8(ascii: "}"))
    }

    private static func hasRepeatedKey(_ fields: [(String, JSON)]) -> Bool {
        for index in fields.indices {
            let key = fields[index].0
            if isReservedKey(key) { return true }
            for earlier in fields[..<index] where keysEqual(earlier.0, key) { return true }
        }
        return false
    }

    /// True for the keys the sink writes itself.
    static func isReservedKey(_ key: String) -> Bool {
        keysEqual(key, "time") || keysEqual(key, "level") || keysEqual(key, "msg")
    }

    /// String equality with the byte count compared first: most keys differ in length, and that check
    /// is inlined where `==` on two different strings calls into the standard library.
    @inline(__always)
    static func keysEqual(_ lhs: String, _ rhs: String) -> Bool {
        lhs.utf8.count == rhs.utf8.count && lhs == rhs
    }

    static func textLine(_ record: LogRecord) -> String {
        let color: String
        switch record.level {
        case .trace, .debug: color = "\u{1B}[90m"
        case .info: color = "\u{1B}[32m"
        case .warning: color = "\u{1B}[33m"
        case .error: color = "\u{1B}[31m"
        }
        let reset = "\u{1B}[0m"
        var line = "\(Timestamp.rfc3339(record.time)) \(color)\(record.level.name.uppercased())\(reset) \(record.message)"
        for (key, value) in record.fields {
            let text = value.stringValue ?? value.serialized()
            line += " \u{1B}[2m\(key)=\(reset)\(escapingControlCharacters(text))"
        }
        return line
    }

    /// Replaces control characters with `\u{...}` escapes, so a value (a JWT subject, a path) can
    /// neither start a forged line nor send escape sequences to the operator's terminal.
    static func escapingControlCharacters(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var escaped = ""
        for scalar in text.unicodeScalars {
            if isControl(scalar) {
                escaped += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }
}

extension StreamLogSink {
    /// A sink that `exit()` flushes, held weakly so that the list keeps no sink alive.
    private struct WeakReference: @unchecked Sendable {
        weak var sink: StreamLogSink?
    }

    /// The buffered sinks alive now, by identity.
    private static let buffered = Mutex<[ObjectIdentifier: WeakReference]>([:])

    /// Installs the `atexit` handler once: every path that ends the process through `exit()`, a
    /// return from `main` included, writes the buffered lines first.
    private static let exitHandler: Void = {
        atexit { StreamLogSink.flushAll() }
    }()

    private static func register(_ sink: StreamLogSink) {
        _ = exitHandler
        buffered.withLock { $0[ObjectIdentifier(sink)] = WeakReference(sink: sink) }
    }

    private static func unregister(_ sink: StreamLogSink) {
        _ = buffered.withLock { $0.removeValue(forKey: ObjectIdentifier(sink)) }
    }

    /// Flushes every buffered sink that is alive.
    static func flushAll() {
        let sinks = buffered.withLock { $0.values.compactMap(\.sink) }
        for sink in sinks { sink.flush() }
    }
}
