/// A handler that never suspends: the innermost handler of an inline function, or the rest of an
/// inline chain as an `InlineDecorator` sees it. It runs on the thread that calls it, which in the
/// gateway is an event loop thread, so it must not block.
public typealias InlineHandler = @Sendable (Request, Context) throws -> Response

/// What `InlineDecorator.before` decides for one request.
public enum InlineDecoratorStep<Passage> {
    /// Runs the rest of the chain, then `after` with `passage`: values `before` computed for `after`,
    /// such as a start time.
    case proceed(Passage)
    /// Returns this response at once. Neither the rest of the chain nor `after` runs.
    case respond(Response)
}

/// A decorator whose logic never suspends, written once as a part before `next` and a part after it.
///
/// The protocol derives both call forms from `before` and `after`: `handle` for the async chain and
/// `handleInline` for the inline chain, which runs with no task on the event loop thread (see
/// `FunctionRegistry.registerInline`). A function runs inline only when every decorator in its chain
/// conforms; one async-only decorator puts the whole chain on the async path.
///
/// The onion model applies as for `Decorator`. `before` may return a response early (`.respond`) or throw. `after`
/// gets the response the rest of the chain returned and `afterError` what it threw; both may change the
/// response or throw, and `afterError` catches the error by returning a response. The request passes on
/// unchanged, so that no decorator pays for a copy of it; a decorator that rewrites the request stays a
/// plain `Decorator`.
///
/// A decorator that adds a field to every successful response:
///
///     struct Served: InlineDecorator {
///         let name = "served"
///         func before(_ request: Request, context: Context) -> InlineDecoratorStep<Void> { .proceed(()) }
///         func after(_ response: consuming Response, passage: Void, request: Request, context: Context) -> Response {
///             response.headers.add("X-Served-By", "trellis")
///             return response
///         }
///     }
public protocol InlineDecorator: Decorator {
    /// The values `before` hands to `after` or `afterError` for one request; `Void` when there are none.
    associatedtype Passage = Void

    /// Runs before the rest of the chain. It must not block: in the inline chain it runs on the event loop thread.
    func before(_ request: Request, context: Context) throws -> InlineDecoratorStep<Passage>

    /// Runs after the rest of the chain returned `response`, unless `before` returned `.respond`. The
    /// default returns `response` unchanged.
    func after(_ response: consuming Response, passage: Passage, request: Request, context: Context) throws -> Response

    /// Runs after the rest of the chain threw `error`, unless `before` returned `.respond`. The default
    /// rethrows it.
    func afterError(_ error: any Error, passage: Passage, request: Request, context: Context) throws -> Response

    /// Runs this decorator's part of the inline chain. The default calls `before`, `next` and `after`
    /// or `afterError`. It is a requirement so that calls through `any InlineDecorator` reach a
    /// specialized copy.
    func handleInline(_ request: Request, context: Context, next: InlineHandler) throws -> Response
}

// `@inlinable` so that each conforming type in another module gets a copy specialized for it: the
// generic copy looks up the metadata of `Passage` and `InlineDecoratorStep` at run time on every call.
extension InlineDecorator {
    @inlinable
    public func handleInline(_ request: Request, context: Context, next: InlineHandler) throws -> Response {
        let passage: Passage
        switch try before(request, context: context) {
        case .respond(let response): return response
        case .proceed(let value): passage = value
        }
        let response: Response
        do {
            response = try next(request, context)
        } catch {
            return try afterError(error, passage: passage, request: request, context: context)
        }
        return try after(response, passage: passage, request: request, context: context)
    }

    /// The async form of `handleInline`, for chains that contain an async-only decorator or handler.
    @inlinable
    nonisolated(nonsending) public func handle(_ request: Request, context: Context, next: Handler) async throws -> Response {
        let passage: Passage
        switch try before(request, context: context) {
        case .respond(let response): return response
        case .proceed(let value): passage = value
        }
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            return try afterError(error, passage: passage, request: request, context: context)
        }
        return try after(response, passage: passage, request: request, context: context)
    }

    @inlinable
    public func after(_ response: consuming Response, passage: Passage, request: Request, context: Context) throws -> Response {
        response
    }

    @inlinable
    public func afterError(_ error: any Error, passage: Passage, request: Request, context: Context) throws -> Response {
        throw error
    }
}

extension DecoratorChain {
    /// Composes `decorators` around an inline `handler`, first element outermost, or returns nil when one
    /// of them is not an `InlineDecorator`. Call it once at startup.
    public static func composeInline(_ decorators: [any Decorator], around handler: @escaping InlineHandler) -> InlineHandler? {
        var chain = handler
        for decorator in decorators.reversed() {
            guard let decorator = decorator as? any InlineDecorator else { return nil }
            let next = chain
            chain = { request, context in try decorator.handleInline(request, context: context, next: next) }
        }
        return chain
    }
}
