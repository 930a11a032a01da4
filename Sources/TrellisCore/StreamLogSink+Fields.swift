extension StreamLogSink {
    /// The most keys (metadata and fields together) a JSON line is checked for repeats in place. A line
    /// with more goes through a `LogRecord`, which checks any number.
    static let maxInPlaceKeys = 32

    /// Writes a JSON line straight from `metadata` and `fields` into the buffer, with the same bytes
    /// `write(_:)` writes for the equivalent `LogRecord`. A repeated key (or more than `maxInPlaceKeys`
    /// keys) sends the line through `write(_:)`, which keeps jansson's order for it.
    public func write(level: LogLevel, message: String, metadata: [(key: String, value: String)], fields: some LogFields) {
        let time = LogRecord.unixTimeNow()
        guard format == .json else {
            return write(LogRecord(time: time, level: level, message: message, metadata: metadata, fields: fields))
        }
        let written = lock.withLock { state in
            let lineStart = state.writer.count
            guard
                Self.appendJSONLine(
                    time: time, level: level, message: message, metadata: metadata, fields: fields, to: &state)
            else {
                state.writer.truncate(to: lineStart)
                return false
            }
            state.writer.appendRaw(UInt8(ascii: "\n"))
            finishLine(startingAt: lineStart, in: &state)
            return true
        }
        if !written {
            write(LogRecord(time: time, level: level, message: message, metadata: metadata, fields: fields))
        }
    }

    /// Appends the line's JSON object to `state.writer`; returns false, with a partial line after the
    /// earlier text, when a key repeats, is `time`, `level` or `msg`, or there are more than
    /// `maxInPlaceKeys` keys.
    ///
    /// When the fields type declares a clean `fieldKeys` set, its keys are known to be distinct and
    /// unreserved, so only the metadata keys are checked: against each other, the reserved names and
    /// the set. A metadata key in the set sends the line to the slow path even when this line leaves
    /// that field out; the slow path writes the same bytes then.
    static func appendJSONLine<Fields: LogFields>(
        time: Double, level: LogLevel, message: String, metadata: [(key: String, value: String)], fields: Fields,
        to state: inout LineBuffer
    ) -> Bool {
        withUnsafeTemporaryAllocation(of: String.self, capacity: maxInPlaceKeys) { storage in
            var keys = KeyCheck(storage: storage)
            defer { keys.deinitialize() }
            let fixedKeys = Fields.fieldKeys.flatMap { $0.isClean ? $0 : nil }

            state.writer.appendRaw("{\"time\":\"")
            state.timestamps.appendRFC3339(time, to: &state.writer)
            state.writer.appendRaw("\",\"level\":")
            state.writer.append(string: level.name)
            state.writer.appendRaw(",\"msg\":")
            state.writer.append(string: message)
            for entry in metadata {
                guard keys.admit(entry.key) else { return false }
                if let fixedKeys, fixedKeys.contains(entry.key) { return false }
                state.writer.appendRaw(UInt8(ascii: ","))
                state.writer.append(string: entry.key)
                state.writer.appendRaw(UInt8(ascii: ":"))
                state.writer.append(string: entry.value)
            }
            if let fixedKeys {
                fields.forEachField { key, value in
                    assert(fixedKeys.contains(key), "\(Fields.self) passed key \"\(key)\", which its fieldKeys lacks")
                    state.writer.appendRaw(UInt8(ascii: ","))
                    state.writer.append(string: key)
                    state.writer.appendRaw(UInt8(ascii: ":"))
                    state.writer.append(value)
                }
                state.writer.appendRaw(UInt8(ascii: "}"))
                return true
            }
            var distinct = true
            fields.forEachField { key, value in
                guard distinct, keys.admit(key) else { return distinct = false }
                state.writer.appendRaw(UInt8(ascii: ","))
                state.writer.append(string: key)
                state.writer.appendRaw(UInt8(ascii: ":"))
                state.writer.append(value)
            }
            state.writer.appendRaw(UInt8(ascii: "}"))
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
