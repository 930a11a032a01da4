import Glibc
import Synchronization

/// Log levels in increasing order of severity.
public enum LogLevel: Int, Sendable, Comparable, CaseIterable {
    case trace, debug, info, warning, error

    public var name: String {
        switch self {
        case .trace: return "trace"
        case .debug: return "debug"
        case .info: return "info"
        case .warning: return "warning"
        case .error: return "error"
        }
    }

    public init?(name: String) {
        guard let level = LogLevel.allCases.first(where: { $0.name == name }) else { return nil }
        self = level
    }

    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A structured logger: a level threshold, metadata set once, and a sink that writes lines.
///
/// Values are written as given; the caller keeps secrets out. `Redaction` names the request header
/// fields that must never be logged.
public struct Logger: Sendable {
    public var level: LogLevel
    public private(set) var metadata: [(key: String, value: String)]
    public let sink: LogSink

    public init(level: LogLevel = .info, sink: LogSink) {
        self.level = level
        self.metadata = []
        self.sink = sink
    }

    /// Returns a copy whose metadata also contains `fields`; a key already present is replaced.
    public func with(_ fields: KeyValuePairs<String, String>) -> Logger {
        var copy = self
        copy.metadata.reserveCapacity(metadata.count + fields.count)
        for (key, value) in fields {
            if let index = copy.metadata.firstIndex(where: { $0.key == key }) {
                copy.metadata[index].value = value
            } else {
                copy.metadata.append((key: key, value: value))
            }
        }
        return copy
    }

    /// Writes a line with the metadata followed by `fields` when `level` reaches the threshold.
    public func log(_ level: LogLevel, _ message: String, _ fields: [(String, JSON)] = []) {
        guard level >= self.level else { return }
        sink.write(level: level, message: message, metadata: metadata, fields: fields)
    }

    /// Writes the same line as `log(_:_:_:)` with the fields read from `fields`. A sink that writes
    /// JSON straight into its buffer never builds an array of fields for it.
    public func log(_ level: LogLevel, _ message: String, fields: some LogFields) {
        guard level >= self.level else { return }
        sink.write(level: level, message: message, metadata: metadata, fields: fields)
    }

    public func trace(_ message: String, _ fields: [(String, JSON)] = []) { log(.trace, message, fields) }
    public func debug(_ message: String, _ fields: [(String, JSON)] = []) { log(.debug, message, fields) }
    public func info(_ message: String, _ fields: [(String, JSON)] = []) { log(.info, message, fields) }
    public func warning(_ message: String, _ fields: [(String, JSON)] = []) { log(.warning, message, fields) }
    public func error(_ message: String, _ fields: [(String, JSON)] = []) { log(.error, message, fields) }
}

public struct LogRecord: Sendable {
    public var time: Double = LogRecord.unixTimeNow()
    public var level: LogLevel
    public var message: String
    public var fields: [(String, JSON)]

    public init(level: LogLevel, message: String, fields: [(String, JSON)]) {
        self.level = level
        self.message = message
        self.fields = fields
    }

    /// Seconds since the Unix epoch from the real-time clock.
    public static func unixTimeNow() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
}

/// The destination of log lines. Implementations must be safe to call from any thread.
public protocol LogSink: Sendable {
    func write(_ record: LogRecord)
    /// Writes a line whose fields are `metadata` (as strings) followed by `fields`. The default builds
    /// a `LogRecord` and calls `write(_:)`; `StreamLogSink` writes JSON lines without one.
    func write(level: LogLevel, message: String, metadata: [(key: String, value: String)], fields: some LogFields)
}

/// The output format of `StreamLogSink`.
public enum LogFormat: String, Sendable {
    /// One JSON object per line: `time` (RFC 3339, UTC, milliseconds), `level`, `msg`, then the fields.
    case json
    /// A readable line with ANSI colors, for a terminal.
    case text
    /// `text` when the file descriptor is a terminal, else `json`.
    case auto
}

/// Writes each record as one line to a file descriptor with a single `write(2)`, so concurrent lines
/// never interleave. JSON lines are written by `JSONWriter` into one buffer reused under the lock, so
/// a line costs no jansson tree and no `String`.
public final class StreamLogSink: LogSink {
    let fileDescriptor: Int32
    let format: LogFormat
    /// Guards the line buffer, which is reused for every JSON line, and keeps lines whole.
    let lock = Mutex(JSONWriter(capacity: 1024))

    public init(fileDescriptor: Int32 = STDOUT_FILENO, format: LogFormat = .auto) {
        self.fileDescriptor = fileDescriptor
        if format == .auto {
            self.format = isatty(fileDescriptor) == 1 ? .text : .json
        } else {
            self.format = format
        }
    }

    public func write(_ record: LogRecord) {
        if format == .json {
            lock.withLock { writer in
                writer.removeAll()
                Self.appendJSONLine(record, to: &writer)
                writer.appendRaw(UInt8(ascii: "\n"))
                writer.bytes.withUnsafeBytes(writeAll)
            }
            return
        }
        var line = Self.textLine(record)
        line.append("\n")
        lock.withLock { _ in
            line.withUTF8 { writeAll(UnsafeRawBufferPointer($0)) }
        }
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

/// Keeps every record in memory; used by tests and by `trellis invoke --verbose`.
public final class MemoryLogSink: LogSink {
    private let records = Mutex<[LogRecord]>([])

    public init() {}

    public func write(_ record: LogRecord) { records.withLock { $0.append(record) } }

    public var all: [LogRecord] { records.withLock { $0 } }

    /// Every record as the JSON line `StreamLogSink` would write.
    public var jsonLines: [String] { all.map(StreamLogSink.jsonLine) }
}

/// Request header fields whose values are credentials and never reach a log.
public enum Redaction {
    public static let sensitiveHeaders: Set<String> = [
        "authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key",
    ]

    /// True when the field `name` contains a credential. `extra` adds configured header names, such as an
    /// API-key header, in lower case.
    public static func isSensitive(header name: String, extra: Set<String> = []) -> Bool {
        let lower = name.lowercased()
        return sensitiveHeaders.contains(lower) || extra.contains(lower)
    }
}

public enum Timestamp {
    /// Appends `rfc3339(unixTime)` without building a `String`.
    public static func appendRFC3339(_ unixTime: Double, to writer: inout JSONWriter) {
        var seconds = time_t(unixTime.rounded(.down))
        let millis = Int((unixTime - Double(seconds)) * 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        writer.append(unsigned: UInt64(clamping: parts.tm_year + 1900), minimumDigits: 4)
        writer.appendRaw(UInt8(ascii: "-"))
        writer.append(unsigned: UInt64(clamping: parts.tm_mon + 1), minimumDigits: 2)
        writer.appendRaw(UInt8(ascii: "-"))
        writer.append(unsigned: UInt64(clamping: parts.tm_mday), minimumDigits: 2)
        writer.appendRaw(UInt8(ascii: "T"))
        writer.append(unsigned: UInt64(clamping: parts.tm_hour), minimumDigits: 2)
        writer.appendRaw(UInt8(ascii: ":"))
        writer.append(unsigned: UInt64(clamping: parts.tm_min), minimumDigits: 2)
        writer.appendRaw(UInt8(ascii: ":"))
        writer.append(unsigned: UInt64(clamping: parts.tm_sec), minimumDigits: 2)
        writer.appendRaw(UInt8(ascii: "."))
        writer.append(unsigned: UInt64(clamping: millis), minimumDigits: 3)
        writer.appendRaw(UInt8(ascii: "Z"))
    }

    /// `2026-12-04T19:49:28.123Z` for a Unix time in seconds.
    public static func rfc3339(_ unixTime: Double) -> String {
        var seconds = time_t(unixTime.rounded(.down))
        let millis = Int((unixTime - Double(seconds)) * 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))"
            + "T\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(millis), 3))Z"
    }
}
