import TrellisCore
import TrellisHTTP

/// Writes the status line and header block of a response into a reusable buffer.
///
/// The head holds, in order: the status line, `Content-Length` (left out for 1xx, 204 and 304, which
/// carry no body; RFC 9110 section 8.6 forbids it for 1xx and 204), `Date`, `X-Request-Id`, `Connection`, then the handler's fields.
/// The handler's `Content-Length`, `Transfer-Encoding`, `Connection`, `Date` and `X-Request-Id` are
/// dropped because the gateway sets them, and so is any field whose name is not a token or whose value
/// contains a byte RFC 9110 section 5.5 does not allow (a control byte other than HTAB, or DEL). CR and
/// LF would let a handler forge header lines, and the others make a field that clients may reject.
///
/// The head is written in one pass into room reserved up front: the status line (with `Content-Length: `
/// when the status allows a body) is one constant per status, the fixed parts are constant-size copies,
/// and the strings are copied from their UTF-8 storage.
enum ResponseHeadEncoder {
    /// True when a response with `status` carries no body whatever the method (RFC 9110 sections 6.4.1,
    /// 15.3.5 and 15.4.5).
    @inline(__always)
    static func statusForbidsBody(_ status: Int) -> Bool {
        (100..<200).contains(status) || status == 204 || status == 304
    }

    /// Encodes the head into `buffer`, replacing its contents. `contentLength` is the byte count of the
    /// body the response would have for GET, also for HEAD where the body is not sent. `date` is the
    /// `Date` value (`HTTPDateCache`).
    static func encode(
        status: Int, headers: Headers, contentLength: Int, requestID: String, keepAlive: Bool, date: [UInt8],
        into buffer: inout OutputBuffer
    ) {
        date.withUnsafeBufferPointer { date in
            encode(
                status: status, headers: headers, contentLength: contentLength, requestID: requestID,
                keepAlive: keepAlive, date: date, into: &buffer)
        }
    }

    /// Bytes of the head besides the date, the request id and the handler's fields, rounded up: the
    /// longest status line with `Content-Length: `, two numbers of up to 20 digits and a sign, and the
    /// fixed names, separators and line ends.
    private static let fixedBytes = 192

    static func encode(
        status: Int, headers: Headers, contentLength: Int, requestID: String, keepAlive: Bool,
        date: UnsafeBufferPointer<UInt8>, into buffer: inout OutputBuffer
    ) {
        buffer.removeAll()
        headers.fields.withUnsafeBufferPointer { fields in
            var room = fixedBytes + date.count + requestID.utf8.count
            for index in fields.indices { room += fields[index].name.utf8.count + fields[index].value.utf8.count + 4 }
            buffer.reserve(room)

            var writer = HeadWriter(cursor: buffer.end)
            if let start = headStart(status) {
                writer.write(variable: start)
            } else {
                writer.write("HTTP/1.1 " as StaticString)
                writer.write(decimal: status)
                writer.write(" \r\n" as StaticString)
                if !statusForbidsBody(status) { writer.write("Content-Length: " as StaticString) }
            }
            if !statusForbidsBody(status) {
                writer.write(decimal: contentLength)
                writer.write("\r\n" as StaticString)
            }
            writer.write("Date: " as StaticString)
            if date.count == HTTPDateCache.valueBytes {
                writer.write(fixed: date.baseAddress!, count: HTTPDateCache.valueBytes)
            } else {
                writer.write(date)
            }
            writer.write("\r\nX-Request-Id: " as StaticString)
            withUTF8(requestID) { writer.write($0) }
            if keepAlive {
                writer.write("\r\nConnection: keep-alive\r\n" as StaticString)
            } else {
                writer.write("\r\nConnection: close\r\n" as StaticString)
            }
            // Each field is copied first and checked where it landed, so that each string is read
            // once; a field that must not be forwarded is taken back out.
            for index in fields.indices {
                let fieldStart = writer.cursor
                withUTF8(fields[index].name) { writer.write($0) }
                let nameEnd = writer.cursor
                writer.write(": " as StaticString)
                let valueStart = writer.cursor
                withUTF8(fields[index].value) { writer.write($0) }
                let name = UnsafeBufferPointer(start: fieldStart, count: nameEnd - fieldStart)
                let value = UnsafeBufferPointer(start: valueStart, count: writer.cursor - valueStart)
                if isForwardable(name: name, value: value) {
                    writer.write("\r\n" as StaticString)
                } else {
                    writer.cursor = fieldStart
                }
            }
            writer.write("\r\n" as StaticString)
            buffer.didAppend(writer.cursor - buffer.end)
        }
    }

    /// True when a handler's field may be sent: its name is a token the gateway does not set, and its
    /// value holds only VCHAR, obs-text, SP and HTAB (RFC 9110 section 5.5).
    static func isForwardable(name: String, value: String) -> Bool {
        withUTF8(name) { name in withUTF8(value) { value in isForwardable(name: name, value: value) } }
    }

    @inline(__always)
    static func isForwardable(name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>) -> Bool {
        guard HTTPSyntax.isToken(name), HTTPSyntax.checkFieldValue(value) != nil else { return false }
        // Only the lengths of the five names `isGatewayOwned` knows need the comparison.
        switch name.count {
        case 4, 10, 12, 14, 17: return !isGatewayOwned(name)
        default: return true
        }
    }

    /// True for `Content-Length`, `Transfer-Encoding`, `Connection`, `Date` and `X-Request-Id` in any
    /// letter case. The byte count picks the one name to compare, since the five lengths differ. `name`
    /// must be a token: then setting bit 5 of a byte gives a lowercase letter or `-` exactly when the
    /// byte is that letter in either case or `-`.
    private static func isGatewayOwned(_ name: UnsafeBufferPointer<UInt8>) -> Bool {
        switch name.count {
        case 4: return equalsFolded(name, "date")
        case 10: return equalsFolded(name, "connection")
        case 12: return equalsFolded(name, "x-request-id")
        case 14: return equalsFolded(name, "content-length")
        case 17: return equalsFolded(name, "transfer-encoding")
        default: return false
        }
    }

    /// Compares the token `bytes` with `word`, made of lowercase letters and `-`, of the same length.
    @inline(__always)
    private static func equalsFolded(_ bytes: UnsafeBufferPointer<UInt8>, _ word: StaticString) -> Bool {
        let letters = word.utf8Start
        for index in 0..<bytes.count where bytes[index] | 0x20 != letters[index] { return false }
        return true
    }

    /// Calls `body` with the UTF-8 bytes of `text`, from its storage when it is contiguous (native
    /// strings always are), else from a contiguous copy.
    @inline(__always)
    static func withUTF8<Result>(_ text: String, _ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        if let result = text.utf8.withContiguousStorageIfAvailable(body) { return result }
        var copy = text
        return copy.withUTF8(body)
    }

    /// The start of the head for a status RFC 9110 section 15 names: the status line with its reason
    /// phrase, followed by `Content-Length: ` when the status allows a body. Nil for any other status,
    /// whose line `encode` writes with an empty reason phrase (a client must ignore the phrase anyway).
    static func headStart(_ status: Int) -> StaticString? {
        switch status {
        case 100: return "HTTP/1.1 100 Continue\r\n"
        case 101: return "HTTP/1.1 101 Switching Protocols\r\n"
        case 200: return "HTTP/1.1 200 OK\r\nContent-Length: "
        case 201: return "HTTP/1.1 201 Created\r\nContent-Length: "
        case 202: return "HTTP/1.1 202 Accepted\r\nContent-Length: "
        case 204: return "HTTP/1.1 204 No Content\r\n"
        case 206: return "HTTP/1.1 206 Partial Content\r\nContent-Length: "
        case 301: return "HTTP/1.1 301 Moved Permanently\r\nContent-Length: "
        case 302: return "HTTP/1.1 302 Found\r\nContent-Length: "
        case 303: return "HTTP/1.1 303 See Other\r\nContent-Length: "
        case 304: return "HTTP/1.1 304 Not Modified\r\n"
        case 307: return "HTTP/1.1 307 Temporary Redirect\r\nContent-Length: "
        case 308: return "HTTP/1.1 308 Permanent Redirect\r\nContent-Length: "
        case 400: return "HTTP/1.1 400 Bad Request\r\nContent-Length: "
        case 401: return "HTTP/1.1 401 Unauthorized\r\nContent-Length: "
        case 403: return "HTTP/1.1 403 Forbidden\r\nContent-Length: "
        case 404: return "HTTP/1.1 404 Not Found\r\nContent-Length: "
        case 405: return "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: "
        case 406: return "HTTP/1.1 406 Not Acceptable\r\nContent-Length: "
        case 408: return "HTTP/1.1 408 Request Timeout\r\nContent-Length: "
        case 409: return "HTTP/1.1 409 Conflict\r\nContent-Length: "
        case 410: return "HTTP/1.1 410 Gone\r\nContent-Length: "
        case 411: return "HTTP/1.1 411 Length Required\r\nContent-Length: "
        case 412: return "HTTP/1.1 412 Precondition Failed\r\nContent-Length: "
        case 413: return "HTTP/1.1 413 Content Too Large\r\nContent-Length: "
        case 414: return "HTTP/1.1 414 URI Too Long\r\nContent-Length: "
        case 415: return "HTTP/1.1 415 Unsupported Media Type\r\nContent-Length: "
        case 422: return "HTTP/1.1 422 Unprocessable Content\r\nContent-Length: "
        case 429: return "HTTP/1.1 429 Too Many Requests\r\nContent-Length: "
        case 431: return "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: "
        case 500: return "HTTP/1.1 500 Internal Server Error\r\nContent-Length: "
        case 501: return "HTTP/1.1 501 Not Implemented\r\nContent-Length: "
        case 502: return "HTTP/1.1 502 Bad Gateway\r\nContent-Length: "
        case 503: return "HTTP/1.1 503 Service Unavailable\r\nContent-Length: "
        case 504: return "HTTP/1.1 504 Gateway Timeout\r\nContent-Length: "
        case 505: return "HTTP/1.1 505 HTTP Version Not Supported\r\nContent-Length: "
        default: return nil
        }
    }
}

/// Stores bytes at a cursor with no bounds checks; `ResponseHeadEncoder` reserves the room first.
struct HeadWriter {
    var cursor: UnsafeMutablePointer<UInt8>

    /// Writes a literal; its length is a constant, so the copy compiles to a few moves.
    @inline(__always)
    mutating func write(_ text: StaticString) {
        write(fixed: text.utf8Start, count: text.utf8CodeUnitCount)
    }

    /// Copies `count` bytes; with a constant count the copy compiles to a few moves.
    @inline(__always)
    mutating func write(fixed source: UnsafePointer<UInt8>, count: Int) {
        UnsafeMutableRawPointer(cursor).copyMemory(from: source, byteCount: count)
        cursor += count
    }

    /// Copies bytes of any length. Fewer than 16 bytes, such as most field names, are copied with two
    /// overlapping moves instead of a call to `memmove`; no byte outside `bytes` is read.
    @inline(__always)
    mutating func write(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let start = bytes.baseAddress else { return }
        let count = bytes.count
        let source = UnsafeRawPointer(start)
        let target = UnsafeMutableRawPointer(cursor)
        if count >= 16 {
            target.copyMemory(from: source, byteCount: count)
        } else if count >= 8 {
            let head = source.loadUnaligned(as: UInt64.self)
            let tail = source.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
            target.storeBytes(of: head, as: UInt64.self)
            target.storeBytes(of: tail, toByteOffset: count - 8, as: UInt64.self)
        } else if count >= 4 {
            let head = source.loadUnaligned(as: UInt32.self)
            let tail = source.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self)
            target.storeBytes(of: head, as: UInt32.self)
            target.storeBytes(of: tail, toByteOffset: count - 4, as: UInt32.self)
        } else if count > 0 {
            // 1 to 3 bytes: the first, the middle and the last, which overlap when fewer than 3.
            let first = start[0]
            let middle = start[count >> 1]
            let last = start[count - 1]
            cursor[0] = first
            cursor[count >> 1] = middle
            cursor[count - 1] = last
        }
        cursor += count
    }

    /// Writes the bytes of a literal whose length differs from call to call.
    @inline(__always)
    mutating func write(variable text: StaticString) {
        write(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// Writes `value` in decimal ASCII digits, with a `-` when it is negative.
    @inline(__always)
    mutating func write(decimal value: Int) {
        var magnitude = value.magnitude
        if value < 0 {
            cursor.pointee = UInt8(ascii: "-")
            cursor += 1
        }
        var digits = 1
        var rest = magnitude / 10
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        var position = cursor + digits
        repeat {
            position -= 1
            position.pointee = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude % 10)
            magnitude /= 10
        } while magnitude > 0
        cursor += digits
    }
}
