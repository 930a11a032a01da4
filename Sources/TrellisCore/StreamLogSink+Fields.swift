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
        if let fixedKeys = Fields.fieldKeys, fixedKeys.isClean {
            let fieldsType = ObjectIdentifier(Fields.self)
            if !state.checkedKeys.matches(metadata, fieldsType: fieldsType) {
                guard metadataKeysAdmitted(metadata, besides: fixedKeys) else { return false }
                state.checkedKeys.remember(metadata, fieldsType: fieldsType)
            }
            assert(fieldsPassOnly(fixedKeys, fields), "\(Fields.self) passed a key that its fieldKeys lacks")
            appendHead(time: time, level: level, message: message, metadata: metadata, to: &state)
            fields.appendJSONMembers(to: &state.writer)
            state.writer.appendRaw(UInt8(ascii: "}"))
            return true
        }
        return withUnsafeTemporaryAllocation(of: String.self, capacity: maxInPlaceKeys) { storage in
            var keys = KeyCheck(storage: storage)
            defer { keys.deinitialize() }
            for entry in metadata {
                guard keys.admit(entry.key) else { return false }
            }
            appendHead(time: time, level: level, message: message, metadata: metadata, to: &state)
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

    /// Appends `{"time":…,"level":…,"msg":…` and the metadata members, whose keys the caller checked.
    private static func appendHead(
        time: Double, level: LogLevel, message: String, metadata: [(key: String, value: String)],
        to state: inout LineBuffer
    ) {
        state.writer.appendRaw("{\"time\":\"")
        state.timestamps.appendRFC3339(time, to: &state.writer)
        switch level {
        case .trace: state.writer.appendRaw("\",\"level\":\"trace\",\"msg\":")
        case .debug: state.writer.appendRaw("\",\"level\":\"debug\",\"msg\":")
        case .info: state.writer.appendRaw("\",\"level\":\"info\",\"msg\":")
        case .warning: state.writer.appendRaw("\",\"level\":\"warning\",\"msg\":")
        case .error: state.writer.appendRaw("\",\"level\":\"error\",\"msg\":")
        }
        state.writer.append(string: message)
        for entry in metadata {
            state.writer.appendRaw(UInt8(ascii: ","))
            state.writer.append(string: entry.key)
            state.writer.appendRaw(UInt8(ascii: ":"))
            state.writer.append(string: entry.value)
        }
    }

    /// True when the metadata keys are distinct, unreserved and outside `fixedKeys`.
    private static func metadataKeysAdmitted(_ metadata: [(key: String, value: String)], besides fixedKeys: LogFieldKeys) -> Bool {
        for index in metadata.indices {
            let key = metadata[index].key
            if isReservedKey(key) || fixedKeys.contains(key) { return false }
            for earlier in metadata[..<index] where keysEqual(earlier.key, key) { return false }
        }
        return true
    }

    /// True when every key `fields` passes is in `fixedKeys`; for the debug build's assertion.
    private static func fieldsPassOnly(_ fixedKeys: LogFieldKeys, _ fields: some LogFields) -> Bool {
        var listed = true
        fields.forEachField { key, _ in listed = listed && fixedKeys.contains(key) }
        return listed
    }

    /// The metadata keys of the last line that passed the check for a fields type with a clean
    /// `fieldKeys` set, so that the next line with the same keys skips it. A logger's lines carry
    /// the same keys every time (each request's `Context` logger has `requestId` and `function`),
    /// and comparing a few short keys byte by byte costs less than checking them. Kept under the
    /// sink's lock.
    struct CheckedMetadataKeys {
        private var fieldsType: ObjectIdentifier?
        private var keys: [String] = []

        /// True when `metadata` has the remembered keys, in the same order, for the same fields type.
        func matches(_ metadata: [(key: String, value: String)], fieldsType: ObjectIdentifier) -> Bool {
            guard self.fieldsType == fieldsType, keys.count == metadata.count else { return false }
            for index in keys.indices where !Self.sameBytes(keys[index], metadata[index].key) { return false }
            return true
        }

        /// True when both strings have the same UTF-8 bytes. Not `==`, under which canonically equal
        /// keys such as U+212A and "K" are equal although they are different JSON keys.
        private static func sameBytes(_ lhs: String, _ rhs: String) -> Bool {
            guard lhs.utf8.count == rhs.utf8.count else { return false }
            let compared = lhs.utf8.withContiguousStorageIfAvailable { left in
                rhs.utf8.withContiguousStorageIfAvailable { right in
                    for index in left.indices where left[index] != right[index] { return false }
                    return true
                }
            }
            if let compared, let equal = compared { return equal }
            return lhs.utf8.elementsEqual(rhs.utf8)
        }

        /// Remembers the keys of `metadata`, which passed the check for `fieldsType`, in place of the
        /// earlier ones. Reuses the storage, so alternating loggers cost a copy of the keys, not an allocation.
        mutating func remember(_ metadata: [(key: String, value: String)], fieldsType: ObjectIdentifier) {
            self.fieldsType = fieldsType
            keys.removeAll(keepingCapacity: true)
            for entry in metadata { keys.append(entry.key) }
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
