import TrellisCore
import TrellisHTTP

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
        // Literals are typed StaticString so they are copied directly. As String, each would go through `withUTF8`.
        buffer.append("HTTP/1.1 " as StaticString)
        buffer.append(decimal: status)
        buffer.append(UInt8(ascii: " "))
        buffer.append(reasonPhrase(status))
        if !statusForbidsBody(status) {
            buffer.append("\r\nContent-Length: " as StaticString)
            buffer.append(decimal: contentLength)
        }
        buffer.append("\r\nDate: " as StaticString)
        date.withUnsafeBytes { buffer.append($0) }
        buffer.append("\r\nX-Request-Id: " as StaticString)
        buffer.append(requestID)
        buffer.append(keepAlive ? "\r\nConnection: keep-alive\r\n" as StaticString : "\r\nConnection: close\r\n")
        for field in headers where isForwardable(name: field.name, value: field.value) {
            buffer.append(field.name)
            buffer.append(": " as StaticString)
            buffer.append(field.value)
            buffer.append("\r\n" as StaticString)
        }
        buffer.append("\r\n" as StaticString)
    }

    static func isForwardable(name: String, value: String) -> Bool {
        guard !name.isEmpty, name.utf8.allSatisfy(HTTPSyntax.isTokenByte) else { return false }
        guard !value.utf8.contains(where: { $0 == 13 || $0 == 10 || $0 == 0 }) else { return false }
        return !isGatewayOwned(name)
    }

    /// True for `Content-Length`, `Transfer-Encoding`, `Connection`, `Date` and `X-Request-Id` in any
    /// letter case. The byte count picks the one name to compare, since the five lengths differ.
    private static func isGatewayOwned(_ name: String) -> Bool {
        switch name.utf8.count {
        case 4: return Headers.namesEqual(name, "date")
        case 10: return Headers.namesEqual(name, "connection")
        case 12: return Headers.namesEqual(name, "x-request-id")
        case 14: return Headers.namesEqual(name, "content-length")
        case 17: return Headers.namesEqual(name, "transfer-encoding")
        default: return false
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
