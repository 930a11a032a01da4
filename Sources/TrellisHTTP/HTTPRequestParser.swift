/// A strict, incremental HTTP/1.1 request parser (RFC 9112).
///
/// Feed bytes with `append`, then call `next()` until it returns nil (more bytes needed). Bytes after a
/// complete request stay buffered for the next one, which is how pipelining works. Bytes may arrive in
/// any split, down to one at a time, and the events are the same.
///
/// Strictness, and where it differs from what RFC 9112 merely allows:
/// - Every line ends with CRLF. A bare LF or a CR not followed by LF is rejected with 400 everywhere,
///   including in the empty lines before a request line.
/// - Empty lines (CRLF) before a request line are skipped, as RFC 9112 section 2.2 recommends, so a
///   client that sends CRLF after a body does not break the next request.
/// - Obs-fold, whitespace before a field colon, duplicate Content-Length, Content-Length together with
///   Transfer-Encoding, and any Transfer-Encoding but a single final `chunked` are rejected.
///
/// After a thrown error the parser is failed: every later `next()` throws the same error and `append`
/// drops its bytes.
public struct HTTPRequestParser: Sendable {
    public let limits: HTTPParserLimits

    /// Received bytes. `buffer[readIndex...]` is not consumed yet.
    private var buffer: [UInt8] = []
    private var readIndex = 0
    /// The index at which the search for the current line's CRLF resumes. The bytes from `readIndex` up to here are
    /// known to contain no line end, so each byte of a line is searched once however it is split.
    private var scanIndex = 0
    private var phase = Phase.requestLine
    /// The head being read; between requests a builder that holds nothing.
    private var head = HTTPHeadBuilder()
    /// Field lines of the current request so far, headers and trailers together.
    private var fieldLineCount = 0
    /// Bytes of those field lines with their CRLFs.
    private var fieldSectionBytes = 0
    /// Decoded body bytes of the current chunked request so far.
    private var chunkedBodyBytes = 0
    /// Header fields of the previous request, reserved for the next one: requests on one connection
    /// tend to look alike.
    private var previousFieldCount = 0

    /// Field slots reserved for a request at least, whatever came before.
    private static let minimumFieldCapacity = 8

    /// Consumed bytes at the front of the buffer are removed once there are at least this many and
    /// they are at least half of the buffer, so the cost of moving the rest stays amortized.
    private static let compactionThreshold = 4096

    private enum Phase: Sendable {
        /// Before a request, or inside its request line.
        case requestLine
        case headerLines
        case fixedBody(remaining: Int)
        case chunkSizeLine
        case chunkData(remaining: Int)
        /// The CRLF after chunk data.
        case chunkDataEnd
        case trailerLines
        /// The request is complete and `.end` has not been returned yet.
        case messageEnd
        case failed(HTTPParseError)
    }

    public init(limits: HTTPParserLimits = HTTPParserLimits()) {
        self.limits = limits
    }

    /// Buffers received bytes. Nothing is parsed until `next()`.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        if case .failed = phase { return }
        compactIfWorthwhile()
        bytes.withMemoryRebound(to: UInt8.self) { buffer.append(contentsOf: $0) }
    }

    /// Buffers received bytes. Nothing is parsed until `next()`.
    public mutating func append(_ bytes: [UInt8]) {
        if case .failed = phase { return }
        compactIfWorthwhile()
        buffer.append(contentsOf: bytes)
    }

    /// The next event, or nil when more input is needed. After a thrown error the parser is finished.
    public mutating func next() throws(HTTPParseError) -> HTTPParserEvent? {
        do {
            return try advance()
        } catch {
            phase = .failed(error)
            head = HTTPHeadBuilder()
            throw error
        }
    }

    /// Bytes received but not yet consumed by `next()`.
    public var bufferedByteCount: Int { buffer.count - readIndex }

    /// Bytes in storage, consumed ones included, which tests use to check compaction.
    var storedByteCount: Int { buffer.count }

    /// True between a `.head` and its `.end`, and while a partial request is buffered. False after an
    /// error.
    public var isInsideRequest: Bool {
        switch phase {
        case .requestLine: return buffer.count > readIndex
        case .failed: return false
        default: return true
        }
    }

    private mutating func compactIfWorthwhile() {
        guard readIndex > 0 else { return }
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: true)
        } else if readIndex >= Self.compactionThreshold && readIndex * 2 >= buffer.count {
            buffer.removeSubrange(0..<readIndex)
        } else {
            return
        }
        scanIndex -= readIndex
        readIndex = 0
    }

    /// Runs the state machine until it has an event or needs more bytes.
    private mutating func advance() throws(HTTPParseError) -> HTTPParserEvent? {
        while true {
            switch phase {
            case .failed(let error):
                throw error

            case .requestLine:
                guard let line = try nextLine() else {
                    if scanIndex - readIndex > limits.requestLineBytes {
                        throw .requestLineTooLong(limit: limits.requestLineBytes)
                    }
                    return nil
                }
                // RFC 9112 section 2.2: a server should ignore at least one empty line before a request.
                if line.isEmpty { continue }
                if line.count > limits.requestLineBytes { throw .requestLineTooLong(limit: limits.requestLineBytes) }
                let requestLine = try buffer.withUnsafeBufferPointer { buffer throws(HTTPParseError) in
                    try HTTPRequestLine(parsing: UnsafeBufferPointer(rebasing: buffer[line]))
                }
                head = HTTPHeadBuilder(
                    requestLine: requestLine, expectedFieldCount: max(Self.minimumFieldCapacity, previousFieldCount))
                fieldLineCount = 0
                fieldSectionBytes = 0
                chunkedBodyBytes = 0
                phase = .headerLines

            case .headerLines:
                guard let line = try nextFieldLine() else { return nil }
                if line.isEmpty { return .head(try finishHead()) }
                try addField(line)

            case .fixedBody(let remaining):
                let count = min(remaining, buffer.count - readIndex)
                if count == 0 { return nil }
                let piece = Array(buffer[readIndex..<(readIndex + count)])
                consume(count)
                phase = remaining == count ? .messageEnd : .fixedBody(remaining: remaining - count)
                return .body(piece)

            case .chunkSizeLine:
                guard let line = try nextLine() else {
                    try HTTPChunkSizeLine.checkPartial(
                        buffer[readIndex..<scanIndex], extensionLimit: limits.chunkExtensionBytes)
                    return nil
                }
                let size = try HTTPChunkSizeLine.parse(buffer[line], extensionLimit: limits.chunkExtensionBytes)
                if size == 0 {
                    phase = .trailerLines
                    continue
                }
                // Checked before the chunk's data arrives. Both terms are below 2^60, so no overflow.
                chunkedBodyBytes += size
                if chunkedBodyBytes > limits.bodyBytes { throw .bodyTooLarge(limit: limits.bodyBytes) }
                phase = .chunkData(remaining: size)

            case .chunkData(let remaining):
                let count = min(remaining, buffer.count - readIndex)
                if count == 0 { return nil }
                let piece = Array(buffer[readIndex..<(readIndex + count)])
                consume(count)
                phase = remaining == count ? .chunkDataEnd : .chunkData(remaining: remaining - count)
                return .body(piece)

            case .chunkDataEnd:
                // RFC 9112 section 7.1: chunk data is followed by CRLF.
                let available = buffer.count - readIndex
                if available == 0 { return nil }
                if buffer[readIndex] != HTTPSyntax.cr { throw .missingChunkCRLF }
                if available == 1 { return nil }
                if buffer[readIndex + 1] != HTTPSyntax.lf { throw .missingChunkCRLF }
                consume(2)
                phase = .chunkSizeLine

            case .trailerLines:
                // RFC 9112 section 7.1.2: trailer fields are checked like header fields, then dropped.
                guard let line = try nextFieldLine() else { return nil }
                if line.isEmpty {
                    phase = .messageEnd
                    continue
                }
                try buffer.withUnsafeBufferPointer { buffer throws(HTTPParseError) in
                    _ = try HTTPFieldLine(parsing: UnsafeBufferPointer(rebasing: buffer[line]))
                }

            case .messageEnd:
                phase = .requestLine
                return .end
            }
        }
    }

    /// Parses the header line at `line` and adds it to the head, which is changed in place.
    private mutating func addField(_ line: Range<Int>) throws(HTTPParseError) {
        // A second reference to the buffer's storage, so that the closure may change `head`.
        let storage = buffer
        try storage.withUnsafeBufferPointer { buffer throws(HTTPParseError) in
            try head.add(HTTPFieldLine(parsing: UnsafeBufferPointer(rebasing: buffer[line])))
        }
    }

    /// Ends the field section: builds the head and picks the body phase from its framing. The builder
    /// is emptied, so that the head's field array has one owner.
    private mutating func finishHead() throws(HTTPParseError) -> HTTPRequestHead {
        previousFieldCount = head.fieldCount
        let result = try head.finish(limits: limits)
        head = HTTPHeadBuilder()
        switch result.framing {
        case .none, .contentLength(0): phase = .messageEnd
        case .contentLength(let length): phase = .fixedBody(remaining: length)
        case .chunked: phase = .chunkSizeLine
        }
        return result
    }

    /// Returns the next complete line without its CRLF and consumes it, or nil when its end has not
    /// arrived. Throws on a bare CR or LF.
    private mutating func nextLine() throws(HTTPParseError) -> Range<Int>? {
        let end = buffer.count
        let index = buffer.withUnsafeBufferPointer { HTTPSyntax.indexOfLineBreak(in: $0, from: scanIndex) }
        guard index < end else {
            scanIndex = end
            return nil
        }
        if buffer[index] == HTTPSyntax.lf { throw .bareLF }
        // A CR at the end of the buffer waits for the next byte, and the scan resumes at it.
        guard index + 1 < end else {
            scanIndex = index
            return nil
        }
        guard buffer[index + 1] == HTTPSyntax.lf else { throw .bareCR }
        let line = readIndex..<index
        readIndex = index + 2
        scanIndex = readIndex
        return line
    }

    /// Returns the next header or trailer line like `nextLine()`, and counts it against
    /// `limits.headerBytes` and `limits.headerCount`. A partial line already over the byte budget is
    /// rejected before its end arrives.
    private mutating func nextFieldLine() throws(HTTPParseError) -> Range<Int>? {
        guard let line = try nextLine() else {
            if fieldSectionBytes + (scanIndex - readIndex) > limits.headerBytes {
                throw .headerBlockTooLarge(limit: limits.headerBytes)
            }
            return nil
        }
        if line.isEmpty { return line }

        fieldLineCount += 1
        fieldSectionBytes += line.count + 2
        if fieldSectionBytes > limits.headerBytes { throw .headerBlockTooLarge(limit: limits.headerBytes) }
        if fieldLineCount > limits.headerCount { throw .tooManyHeaders(limit: limits.headerCount) }
        return line
    }

    private mutating func consume(_ count: Int) {
        readIndex += count
        scanIndex = readIndex
    }
}
