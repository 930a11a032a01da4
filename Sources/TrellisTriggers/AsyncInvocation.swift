import TrellisCore
import TrellisQueue

/// The stored form of an async function call (`POST /async-function/{name}`) in the queue, and its
/// conversion back into the request the function gets.
///
/// The call is one event on the queue trigger `async:<name>`. The name cannot clash with a configured
/// trigger, because trigger names may not contain `:`. The event's id is the call id. Its data is the
/// request body as received, and its attributes hold the rest:
///
/// | attribute     | value                                                      |
/// |---------------|------------------------------------------------------------|
/// | `function`    | the function name                                          |
/// | `path`        | the target path after the name, empty or starting with `/` |
/// | `query`       | the text after `?`, not decoded                            |
/// | `contentType` | the request's `Content-Type`, when sent                    |
/// | `requestId`   | the enqueueing request's id                                |
/// | `callbackUrl` | the checked `X-Callback-Url`, when sent                    |
/// | `remoteAddress` | the client's IP address                                  |
///
/// No credentials are stored: `Authorization` and `Cookie` would sit in the queue's file for as long as
/// the call waits or is dead-lettered. The call therefore runs as the principal
/// `trigger:async:<name>` (scheme `trigger`), and a function behind an auth decorator runs async only
/// where that decorator is configured to accept this principal.
public enum AsyncInvocation {
    public static let triggerPrefix = "async:"

    /// Attribute keys of a stored call.
    public enum Attribute {
        public static let function = "function"
        public static let path = "path"
        public static let query = "query"
        public static let contentType = "contentType"
        public static let requestID = "requestId"
        public static let callbackURL = "callbackUrl"
        public static let remoteAddress = "remoteAddress"
    }

    /// The method the function gets for every async call.
    public static let method = "POST"

    /// Returns the queue trigger that contains calls of `function`: `async:<function>`.
    public static func trigger(forFunction function: String) -> String { triggerPrefix + function }

    /// The function whose calls `trigger` holds, or nil when it is not an async trigger.
    public static func function(forTrigger trigger: String) -> String? {
        guard trigger.hasPrefix(triggerPrefix) else { return nil }
        return String(trigger.dropFirst(triggerPrefix.count))
    }

    /// Returns the principal async calls of `function` run as: `trigger:async:<function>`, like `TriggerConfig.principal`.
    public static func principal(function: String) -> Principal {
        Principal(id: "trigger:\(trigger(forFunction: function))", scheme: "trigger")
    }

    /// Builds the event to enqueue for a call of `function` made with `request`.
    static func makeEvent(
        function: String, request: Request, subPath: String, requestID: String, callbackURL: CallbackURL?
    ) -> NewEvent {
        var attributes = [
            Attribute.function: function,
            Attribute.path: subPath,
            Attribute.query: request.query,
            Attribute.requestID: requestID,
            Attribute.remoteAddress: request.clientAddress,
        ]
        if let contentType = request.headers["Content-Type"] { attributes[Attribute.contentType] = contentType }
        if let callbackURL { attributes[Attribute.callbackURL] = callbackURL.urlString }
        return NewEvent(
            trigger: trigger(forFunction: function), source: "async:\(requestID)", attributes: attributes, data: request.body)
    }

    /// The request the function gets for a stored call: method POST, the stored path, query and body, and
    /// the fields `Content-Type` (when stored), `X-Request-Id` (the enqueueing request's id) and
    /// `X-Call-Id` (the event id).
    public static func request(from event: Event) -> Request {
        var headers = Headers()
        if let contentType = event.attributes[Attribute.contentType] { headers.add("Content-Type", contentType) }
        if let requestID = event.attributes[Attribute.requestID] { headers.add("X-Request-Id", requestID) }
        headers.add("X-Call-Id", event.id)
        return Request(
            method: method, path: event.attributes[Attribute.path] ?? "", query: event.attributes[Attribute.query] ?? "",
            headers: headers, body: event.data, clientAddress: event.attributes[Attribute.remoteAddress] ?? "local")
    }

    /// The callback target stored with `event`, or nil when the call has none or the stored text no longer
    /// parses.
    public static func callbackURL(of event: Event) -> CallbackURL? {
        guard let text = event.attributes[Attribute.callbackURL] else { return nil }
        return try? CallbackURL.parse(text)
    }
}
