/// The fields of one log line, handed to a `LogSink` one at a time, so that writing a line needs no
/// array of fields.
///
/// `forEachField` must pass the same keys and values in the same order every time it is called,
/// because a sink may call it twice for one line (once to write, once more to build a `LogRecord`
/// when a key repeats).
public protocol LogFields {
    /// Calls `body` with each field's key and value, in order.
    func forEachField(_ body: (String, JSON) -> Void)

    /// Every key `forEachField` may pass, when the keys are fixed for the type; nil (the default) when
    /// they vary. A key passed but not listed breaks the sink's check for repeated keys.
    static var fieldKeys: LogFieldKeys? { get }

    /// Appends `,"key":value` for each field, in `forEachField`'s order and with the bytes `writer`
    /// gives each key and value. `StreamLogSink` calls it for a type with a clean `fieldKeys` set,
    /// once it has checked the metadata keys against that set. The default calls `forEachField`; a
    /// type may write its keys as literals instead, as long as the bytes stay the same.
    func appendJSONMembers(to writer: inout JSONWriter)
}

extension LogFields {
    public static var fieldKeys: LogFieldKeys? { nil }

    public func appendJSONMembers(to writer: inout JSONWriter) {
        forEachField { key, value in
            writer.appendRaw(UInt8(ascii: ","))
            writer.append(string: key)
            writer.appendRaw(UInt8(ascii: ":"))
            writer.append(value)
        }
    }
}

extension Array: LogFields where Element == (String, JSON) {
    public func forEachField(_ body: (String, JSON) -> Void) {
        for (key, value) in self { body(key, value) }
    }
}

extension LogRecord {
    /// A record whose fields are `metadata` (as strings) followed by `fields`, as `Logger` hands it on.
    public init(time: Double, level: LogLevel, message: String, metadata: [(key: String, value: String)], fields: some LogFields) {
        var all: [(String, JSON)] = []
        all.reserveCapacity(metadata.count + 12)
        for entry in metadata { all.append((entry.key, .string(entry.value))) }
        fields.forEachField { key, value in all.append((key, value)) }
        self.init(level: level, message: message, fields: all)
        self.time = time
    }
}

extension LogSink {
    /// Builds a `LogRecord` from the parts and passes it to `write(_:)`.
    public func write(level: LogLevel, message: String, metadata: [(key: String, value: String)], fields: some LogFields) {
        write(LogRecord(time: LogRecord.unixTimeNow(), level: level, message: message, metadata: metadata, fields: fields))
    }
}
