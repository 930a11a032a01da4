extension StreamLogSink {
    /// The most keys (metadata and fields together) a JSON line is checked for repeats in place. A line
    /// with more goes through a `LogRecord`, which checks any number.
    static let maxInPlaceKeys = 32

    /// Writes a JSON line straight from `metadata` and `fields` into the reused buffer, with the same
    /// bytes `write(_:)` writes for the equivalent `LogRecord`. A repeated key (or more than
    /// `maxInPlaceKeys` keys) sends the line through `write(_:)`, which keeps jansson's order for it.
    public func write(level: LogLevel, message: String, metadata: [(key: String, value: String)], fields: some LogFields) {
        let time = LogRecord.unixTimeNow()
        guard format == .json else {
            return write(LogRecord(time: time, level: level, message: message, metadata: metadata, fields: fields))
        }
        let written = lock.withLock { writer in
            writer.removeAll()
            guard Self.appendJSONLine(time: time, level: level, message: message, metadata: metadata, fields: fields, to: &writer)
            else { return false }
            writer.appendRaw(UInt8(ascii: "\n"))
            writer.bytes.withUnsafeBytes(writeAll)
            return true
        }
        if !written {
            write(LogRecord(time: time, level: level, message: message, metadata: metadata, fields: fields))
        }
    }

    /// Appends the line's JSON object; returns false, with the buffer in an unspecified state, when a
    /// key repeats, is `time`, `level` or `msg`, or there are more than `maxInPlaceKeys` keys.
    static func appendJSONLine(
        time: Double, level: LogLevel, message: String, metadata: [(key: String, value: String)], fields: some LogFields,
        to writer: inout JSONWriter
    ) -> Bool {
        withUnsafeTemporaryAllocation(of: String.self, capacity: maxInPlaceKeys) { storage in
            var keys = KeyCheck(storage: storage)
            defer { keys.deinitialize() }
            var distinct = true

            writer.appendRaw("{\"time\":\"")
            Timestamp.appendRFC3339(time, to: &writer)
            writer.appendRaw("\",\"level\":")
            writer.append(string: level.name)
            writer.appendRaw(",\"msg\":")
            writer.append(string: message)
            for entry in metadata {
                guard keys.admit(entry.key) else { return false }
                writer.appendRaw(UInt8(ascii: ","))
                writer.append(string: entry.key)
                writer.appendRaw(UInt8(ascii: ":"))
                writer.append(string: entry.value)
            }
            fields.forEachField { key, value in
                guard distinct, keys.admit(key) else { return distinct = false }
                writer.appendRaw(UInt8(ascii: ","))
                writer.append(string: key)
                writer.appendRaw(UInt8(ascii: ":"))
                writer.append(value)
            }
            writer.appendRaw(UInt8(ascii: "}"))
            return distinct
        }
    }

    /// The keys of one line so far, in stack memory, so that a repeat is found without an allocation.
    /// A struct with mutating methods, because a nested function capturing the count pays a dynamic
    /// exclusivity check on every access.
    private struct KeyCheck {
        let storage: UnsafeMutableBufferPointer<String>
        var count = 0

        /// Records `key`; returns false when it repeats an earlier key, is reserved, or there is no room.
        mutating func admit(_ key: String) -> Bool {
            guard count < storage.count, !StreamLogSink.isReservedKey(key) else { return false }
            let keyCount = key.utf8.count
            for index in 0..<count {
                let earlier = storage[index]
                if earlier.utf8.count == keyCount && earlier == key { return false }
            }
            (storage.baseAddress! + count).initialize(to: key)
            count += 1
            return true
        }

        func deinitialize() { storage.baseAddress!.deinitialize(count: count) }
    }
}
