import TrellisCore

/// Writes the status line and header block of a response into a reusable buffer.
///
/// The head holds, in order: the status line, `Content-Length` (left out for 1xx, 204 and 304, which
/// carry no body; RFC 9110 section 8.6 forbids it for 1xx and 204), `Date`, `X-Request-Id`, `Connection`, then the handler's fields.
/// The handler's `Content-Length`, `Transfer-Encoding`, `Connection`, `Date` and `X-Request-Id` are
/// dropped because the gateway sets them, and so is any field whose name is not a token or whose value
/// contains CR, LF or NUL, since it would let a handler forge header lines.
enum ResponseHeadEncoder {
    /// True when a response with `status` carries no body whatever the method (RFC 9110 sections 6.4.1,
    /// 15.3.5 and 15.4.5).
    static func statusForbidsBody(_ status: Int) -> Bool {
        (100..<200).contains(status) || status == 204 || status == 304
    }

    /// Encodes the head into `buffer`, replacing its contents. `contentLength` is the byte count of the
    /// body the response would have for GET, also for HEAD where the body is not sent.
    static func encode(
        status: Int, headers: Headers, contentLength: Int, requestID: String, keepAlive: Bool, date: [UInt8],
        into buffer: inout OutputBuffer
    ) {
        buffer.removeAll()
        buffer.append("HTTP/1.1 ")
        buffer.append(decimal: status)
        buffer.append(UInt8(ascii: " "))
        buffer.append(reasonPhrase(status))
        buffer.append("\r\n")
        if !statusForbidsBody(status) {
            buffer.append("Content-Length: ")
            buffer.append(decimal: contentLength)
            buffer.append("\r\n")
        }
        buffer.append("Date: ")
        date.withUnsafeBytes { buffer.append($0) }
        buffer.append("\r\nX-Request-Id: ")
        buffer.append(requestID)
        buffer.append(keepAlive ? "\r\nConnection: keep-alive\r\n" : "\r\nConnection: close\r\n")
        for field in headers where isForwardable(name: field.name, value: field.value) {
            buffer.append(field.name)
            buffer.append(": ")
            buffer.append(field.value)
            buffer.append("\r\n")
        }
        buffer.append("\r\n")
    }

    private static let gatewayOwnedFields = ["content-length", "transfer-encoding", "connection", "date", "x-request-id"]

    static func isForwardable(name: String, value: String) -> Bool {
        guard !name.isEmpty, name.utf8.allSatisfy(isTokenByte) else { return false }
        guard !value.utf8.contains(where: { $0 == 13 || $0 == 10 || $0 == 0 }) else { return false }
        return !gatewayOwnedFields.contains { Headers.namesEqual($0, name) }
    }

    /// `tchar` from RFC 9110 section 5.6.2.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
            UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
            UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// The reason phrase from RFC 9110 section 15, or an empty one for a status it does not name
    /// (a client must ignore the phrase anyway).
    static func reasonPhrase(_ status: Int) -> StaticString {
        switch status {
        case 100: return "Continue"
        case 101: return "Switching Protocols"
        case 200: return "OK"
        case 201: return "Created"
        case 202: return "Accepted"
        case 204: return "No Content"
        case 206: return "Partial Content"
        case 301: return "Moved Permanently"
        case 302: return "Found"
        case 303: return "See Other"
        case 304: return "Not Modified"
        case 307: return "Temporary Redirect"
        case 308: return "Permanent Redirect"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 406: return "Not Acceptable"
        case 408: return "Request Timeout"
        case 409: return "Conflict"
        case 410: return "Gone"
        case 411: return "Length Required"
        case 412: return "Precondition Failed"
        case 413: return "Content Too Large"
        case 414: return "URI Too Long"
        case 415: return "Unsupported Media Type"
        case 422: return "Unprocessable Content"
        case 429: return "Too Many Requests"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        case 505: return "HTTP Version Not Supported"
        default: return ""
        }
    }
}
