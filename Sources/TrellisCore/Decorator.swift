/// The innermost handler of a function, or the rest of a chain as a decorator sees it.
///
/// `nonisolated(nonsending)` (SE-0461): the handler runs on the executor of its caller, so a call
/// needs no executor check on entry. Swift 6.3.1 still checks the executor once after each `await`
/// returns. A closure literal converts to this type as it is. A plain `async` function value converts
/// too, but its call also checks on entry.
public typealias Handler = nonisolated(nonsending) @Sendable (Request, Context) async throws -> Response

/// A wrapper around a function for one cross-cutting concern: auth, logging, rate limiting, your own.
///
/// Chains follow the onion model. The first decorator listed is the outermost: it sees the request first
/// and the response (or error) last. A decorator may act before `next`, after it, change the request it
/// passes on or the response it returns, answer early without calling `next`, or catch what `next` threw.
///
/// A pass-through decorator that adds a response field:
///
///     struct ServerTiming: Decorator {
///         let name = "serverTiming"
///         func handle(_ request: Request, context: Context, next: Handler) async throws -> Response {
///             let start = ContinuousClock.now
///             var response = try await next(request, context)
///             let elapsed = ContinuousClock.now - start
///             response.headers.add("Server-Timing", "fn;dur=\(elapsed.components.attoseconds / 1_000_000_000_000_000)")
///             return response
///         }
///     }
///
/// A decorator that answers early:
///
///     struct RequireJSON: Decorator {
///         let name = "requireJSON"
///         func handle(_ request: Request, context: Context, next: Handler) async throws -> Response {
///             guard request.headers["Content-Type"]?.hasPrefix("application/json") == true else {
///                 throw HTTPError(415, code: "unsupported_media_type", message: "Send application/json.")
///             }
///             return try await next(request, context)
///         }
///     }
///
/// Thrown errors travel outward through every decorator that does not catch them; the invoker turns
/// what reaches it into a response with `ErrorMapping`. Decorators are built once at startup and shared
/// by all concurrent invocations, so their per-request state lives in locals or in the `Context`.
public protocol Decorator: Sendable {
    /// The name shown in `GET /functions` and the startup table, for example `rateLimit(client)`.
    var name: String { get }

    /// Runs this decorator's part of the chain. A conforming method without an isolation attribute
    /// inherits `nonisolated(nonsending)` from this requirement, so it runs on the caller's executor.
    nonisolated(nonsending) func handle(_ request: Request, context: Context, next: Handler) async throws -> Response
}

public enum DecoratorChain {
    /// Composes `decorators` around `handler`, first element outermost. Call it once at startup: the
    /// returned closure allocates nothing per request for the composition itself.
    public static func compose(_ decorators: [any Decorator], around handler: @escaping Handler) -> Handler {
        // A loop over a concrete `Handler`, not `reduce`, because a closure stored as a generic value
        // is wrapped in a reabstraction thunk, one more async frame per link.
        var chain = handler
        for decorator in decorators.reversed() {
            let next = chain
            chain = { request, context in try await decorator.handle(request, context: context, next: next) }
        }
        return chain
    }
}
