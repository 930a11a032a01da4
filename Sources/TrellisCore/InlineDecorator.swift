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
/// The onion model applies as for `Decorator`. `before` may change the request passed on, answer early
/// (`.respond`) or throw. `after` gets what the rest of the chain returned or threw, and may change the
/// response, throw, or catch the error by returning a response.
///
/// A decorator that adds a field to every successful response:
///
///     struct Served: InlineDecorator {
///         let name = "served"
///         func before(_ request: inout Request, context: Context) -> InlineDecoratorStep<Void> { .proceed(()) }
///         func after(_ result: Result<Response, any Error>, passage: Void, request: Request, context: Context) throws -> Response {
///             var response = try result.get()
///             response.headers.add("X-Served-By", "trellis")
///             return response
///         }
///     }
public protocol InlineDecorator: Decorator {
    /// The values `before` hands to `after` for one request; `Void` when there are none.
    associatedtype Passage = Void

    /// Runs before the rest of the chain. It must not block: in the inline chain it runs on the event loop thread.
    func before(_ request: inout Request, context: Context) throws -> InlineDecoratorStep<Passage>

    /// Runs after the rest of the chain returned a response or threw (`result`), unless `before`
    /// returned `.respond`. `request` is the request this decorator received, before `before` changed it.
    func after(_ result: Result<Response, any Error>, passage: Passage, request: Request, context: Context) throws -> Response

    /// Runs this decorator's part of the inline chain. The default calls `before`, `next` and `after`;
    /// it is a requirement so that calls through `any InlineDecorator` reach a specialized copy.
    func handleInline(_ request: Request, context: Context, next: InlineHandler) throws -> Response
}

// `@inlinable` so that each conforming type in another module gets a copy specialized for it: the
// generic copy looks up the metadata of `Passage` and `InlineDecoratorStep` at run time on every call.
extension InlineDecorator {
    @inlinable
    public func handleInline(_ request: Request, context: Context, next: InlineHandler) throws -> Response {
        var forwarded = request
        let passage: Passage
        switch try before(&forwarded, context: context) {
        case .respond(let response): return response
        case .proceed(let value): passage = value
        }
        return try after(Result { try next(forwarded, context) }, passage: passage, request: request, context: context)
    }

    /// The async form of `handleInline`, for chains that contain an async-only decorator or handler.
    @inlinable
    nonisolated(nonsending) public func handle(_ request: Request, context: Context, next: Handler) async throws -> Response {
        var forwarded = request
        let passage: Passage
        switch try before(&forwarded, context: context) {
        case .respond(let response): return response
        case .proceed(let value): passage = value
        }
        // `Result(catching:)` takes no async closure.
        let result: Result<Response, any Error>
        do { result = .success(try await next(forwarded, context)) } catch { result = .failure(error) }
        return try after(result, passage: passage, request: request, context: context)
    }
}

extension InlineDecorator where Passage == Void {
    /// Passes on what the rest of the chain returned or threw: the default for decorators that act only before.
    @inlinable
    public func after(_ result: Result<Response, any Error>, passage: Void, request: Request, context: Context) throws -> Response {
        try result.get()
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
