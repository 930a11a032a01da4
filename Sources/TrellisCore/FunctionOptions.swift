/// Per-function settings given in code. The config's `functions.<name>` entry can override the
/// methods, timeout, concurrency and owner (the operator's word wins) and wraps more decorators around
/// `decorators`.
public struct FunctionOptions: Sendable {
    /// Upper-case method tokens the function accepts; others get 405 with `Allow`. `HEAD` is accepted
    /// wherever `GET` is, and its response body is dropped. Default: `GET`, `POST`.
    public var methods: [String]
    /// How long an invocation may run before the gateway responds 504 and cancels it. Default: 30 s.
    public var timeout: Duration
    /// How many invocations may run at once; one more gets 503 with `Retry-After: 1`. Default: 100.
    public var maxConcurrency: Int
    /// The team or person to call about this function, shown in `GET /functions` and at startup.
    public var owner: String?
    /// The function's own chain, first element outermost. The config's chains wrap around it.
    public var decorators: [any Decorator]
    /// Runs the handler on a thread pool instead of the event loop, for handlers that block (file
    /// reads, CPU-heavy work, synchronous C calls) and would otherwise stall other connections.
    public var blocking: Bool
    /// One line that describes the function, shown in listings.
    public var summary: String?

    public init(
        methods: [String] = ["GET", "POST"], timeout: Duration = .seconds(30), maxConcurrency: Int = 100,
        owner: String? = nil, decorators: [any Decorator] = [], blocking: Bool = false, summary: String? = nil
    ) {
        self.methods = methods
        self.timeout = timeout
        self.maxConcurrency = maxConcurrency
        self.owner = owner
        self.decorators = decorators
        self.blocking = blocking
        self.summary = summary
    }
}

/// One registered batch function: its name, options and innermost batch handler. Only `timeout`,
/// `maxConcurrency` (batches at once), `owner`, `summary`, `blocking` and `decorators` (which must
/// all be `BatchDecorator`s) apply; `methods` does not, since batch functions have no HTTP route.
public struct BatchFunctionDefinition: Sendable {
    public var name: String
    public var options: FunctionOptions
    public var handler: BatchHandler
}

/// One registered function: its name, options and innermost handler.
public struct FunctionDefinition: Sendable {
    public var name: String
    public var options: FunctionOptions
    /// The handler as an async function; for an inline function, `inlineHandler` wrapped.
    public var handler: Handler
    /// The handler of a function registered with `registerInline`, else nil.
    public var inlineHandler: InlineHandler? = nil
}
