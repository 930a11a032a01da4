import TrellisCore

/// HTTP endpoints that feed events into triggers, mounted into the gateway next to `/function/{name}`.
///
/// The gateway asks the ingress about every target that is neither a built-in endpoint (`/healthz`,
/// `/functions`, `/metrics`) nor under `/function/`, and responds 404 itself when the ingress returns nil.
/// The returned route runs like a function invocation: as a task on the loop executor, with a deadline
/// timer that answers 504, the request's `X-Request-Id` (or a generated one) in the context and the
/// response, and thrown errors turned into responses by `ErrorMapping`.
///
/// `route` runs on the loop thread for every such request, before the body is read (also to decide
/// whether to send `100 Continue`), so it must only look at its arguments and return quickly: no I/O,
/// no locks held for long. Checks that need the headers or the body belong in the route's handler.
public protocol EventIngress: Sendable {
    /// Returns the route for `path` (the target's path, not percent-decoded) and `query` (the text after
    /// `?`, without it), or nil when `path` is not an ingress path. A route may be returned for a method
    /// it rejects, so that its handler returns 405 with `Allow` instead of the gateway's 404.
    func route(method: String, path: String, query: String) -> IngressRoute?
}
