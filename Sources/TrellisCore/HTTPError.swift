/// An error that carries its own HTTP status. Throw it from a handler or decorator to choose the response.
///
/// It renders as `{"error": code, "message": message, "requestId": id}`. `code` is a stable
/// machine-readable name such as `invalid_body`; `message` is for people and must not contain secrets.
public struct HTTPError: Error, Sendable, CustomStringConvertible {
    public var status: Int
    public var code: String
    public var message: String
    /// Extra response fields such as `Retry-After`, `Allow` or `WWW-Authenticate`.
    public var headers: Headers

    public init(_ status: Int, code: String, message: String, headers: Headers = Headers()) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    public var description: String { "HTTP \(status) \(code): \(message)" }

    public static func badRequest(_ message: String, code: String = "bad_request") -> HTTPError {
        HTTPError(400, code: code, message: message)
    }

    public static func notFound(_ message: String) -> HTTPError {
        HTTPError(404, code: "not_found", message: message)
    }

    /// Renders the error as a JSON response with the request id in the body.
    public func response(requestID: String) -> Response {
        let body: JSON = ["error": .string(code), "message": .string(message), "requestId": .string(requestID)]
        var response = Response.json(body, status: status)
        for field in headers { response.headers.add(field.name, field.value) }
        return response
    }
}

/// The mapping from a thrown error to a response: the one rule the invoker, `trellis invoke` and the logging
/// decorator share, so the status that is logged is the status that is sent.
public enum ErrorMapping {
    /// Returns the status sent for a thrown error.
    public static func status(for error: any Error, context: Context) -> Int {
        if context.isTimedOut { return 504 }
        if let error = error as? HTTPError { return error.status }
        return 500
    }

    /// Returns the response sent for a thrown error. Errors other than `HTTPError` give 500 with no
    /// detail, since their text may hold internals; the log line carries the detail under the request id.
    public static func response(for error: any Error, context: Context) -> Response {
        if context.isTimedOut {
            return HTTPError(504, code: "timeout", message: "The function did not return a response within its timeout.")
                .response(requestID: context.requestID)
        }
        if let error = error as? HTTPError { return error.response(requestID: context.requestID) }
        return HTTPError(
            500, code: "internal_error",
            message: "The function failed. The server log has the details under this request id."
        ).response(requestID: context.requestID)
    }
}
