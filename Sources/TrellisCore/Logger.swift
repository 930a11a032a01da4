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
    /// Writes the lines the sink holds in memory, if any. The default does nothing.
    func flush()
}

extension LogSink {
    public func flush() {}
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
