/// The functions and the user-written decorator types a process serves, filled in code at startup.
///
/// Registration never throws, so `functions/` reads as a plain list; problems (a duplicate or invalid
/// name, a bad option) are collected and `validate()` reports all of them before the server starts.
public final class FunctionRegistry {
    public private(set) var functions: [FunctionDefinition] = []
    public private(set) var batchFunctions: [BatchFunctionDefinition] = []
    public private(set) var decoratorFactories: [(type: String, factory: DecoratorFactory)] = []
    public private(set) var problems: [String] = []

    public init() {}

    /// Registers a raw handler: request in, response out.
    ///
    /// The parameter is a plain `async` function type, not `Handler`, because Swift 6.3.1 crashes while
    /// type-checking a static method reference (`Hello.handle`) that converts to a
    /// `nonisolated(nonsending)` function type.
    public func register(
        _ name: String, options: FunctionOptions = FunctionOptions(),
        handler: @escaping @Sendable (Request, Context) async throws -> Response
    ) {
        checkName(name, options: options)
        let wrapped: Handler = { request, context in try await handler(request, context) }
        functions.append(FunctionDefinition(name: name, options: options, handler: wrapped))
    }

    /// Registers an inline handler: request in, response out, with no suspension point.
    ///
    /// When the function is not `blocking` and every decorator of its resolved chain is an
    /// `InlineDecorator`, the gateway calls the chain and the handler directly on the event loop thread
    /// that read the request, with no task. That saves the task's creation and executor switches, but:
    /// - The handler must not block or do slow work (file or network I/O, locks held by other threads,
    ///   heavy computation): while it runs, every other connection of that loop waits.
    /// - It cannot be cancelled, and `context.isCancelled` stays false while it runs.
    /// - Its deadline is checked once, when it returns or throws. Past `context.deadline`, the context is
    ///   marked timed out and its result is replaced by a thrown `CancellationError`. So the client gets
    ///   504 `timeout` and the decorators around it see what a cancelled async handler gives them.
    ///
    /// Anywhere else (a chain with an async-only decorator, `trellis invoke`, `ResolvedFunction.invoke`)
    /// the handler runs wrapped as an async handler, with the same deadline check.
    ///
    /// A separate name, not a `register` overload, because a trailing closure drops its argument label:
    /// a closure literal would match both forms.
    public func registerInline(_ name: String, options: FunctionOptions = FunctionOptions(), handler: @escaping InlineHandler) {
        checkName(name, options: options)
        let checked: InlineHandler = { request, context in
            let result = Result { try handler(request, context) }
            if ContinuousClock.now >= context.deadline {
                context.markTimedOut()
                throw CancellationError()
            }
            return try result.get()
        }
        let wrapped: Handler = { request, context in try checked(request, context) }
        functions.append(FunctionDefinition(name: name, options: options, handler: wrapped, inlineHandler: checked))
    }

    /// Registers a batch function: a trigger hands it many events at once, and it reports which failed.
    public func registerBatch(_ name: String, options: FunctionOptions = FunctionOptions(), handler: @escaping BatchHandler) {
        checkName(name, options: options)
        batchFunctions.append(BatchFunctionDefinition(name: name, options: options, handler: handler))
    }

    /// Registers a batch function whose events' data are decoded as `Item` with `JSONDecoder`. An event
    /// whose data does not decode is reported as a permanent failure (dead-lettered without retries)
    /// and the handler gets the others.
    public func registerBatch<Item: Decodable & Sendable>(
        _ name: String, options: FunctionOptions = FunctionOptions(),
        handler: @escaping @Sendable ([TypedEvent<Item>], Context) async throws -> BatchResult
    ) {
        registerBatch(name, options: options, handler: CodableAdapter.batchHandler(handler))
    }

    private func checkName(_ name: String, options: FunctionOptions) {
        if let problem = Self.problem(withName: name) {
            problems.append(problem)
        } else if functions.contains(where: { $0.name == name }) || batchFunctions.contains(where: { $0.name == name }) {
            problems.append("function \"\(name)\" is registered twice")
        }
        problems.append(contentsOf: Self.problems(with: options, function: name))
    }

    /// Registers a Codable handler: the body is decoded as `Input` with `JSONDecoder`, and the returned
    /// `Output` is encoded as a 200 `application/json` response. A body that does not decode gets 400
    /// naming the field; a `Content-Type` other than JSON gets 415.
    public func register<Input: Decodable & Sendable, Output: Encodable & Sendable>(
        _ name: String, options: FunctionOptions = FunctionOptions(),
        handler: @escaping @Sendable (Input, Context) async throws -> Output
    ) {
        register(name, options: options, handler: CodableAdapter.handler(handler))
    }

    /// Makes a decorator type available to the config as `{"type": type, ...settings}`.
    public func registerDecorator(_ type: String, factory: @escaping DecoratorFactory) {
        if decoratorFactories.contains(where: { $0.type == type }) {
            problems.append("decorator type \"\(type)\" is registered twice")
        }
        decoratorFactories.append((type: type, factory: factory))
    }

    public func function(named name: String) -> FunctionDefinition? {
        functions.first { $0.name == name }
    }

    public func batchFunction(named name: String) -> BatchFunctionDefinition? {
        batchFunctions.first { $0.name == name }
    }

    public struct ValidationError: Error, CustomStringConvertible {
        public let problems: [String]
        public var description: String { problems.joined(separator: "\n") }
    }

    /// Throws every registration problem at once.
    public func validate() throws(ValidationError) {
        if !problems.isEmpty { throw ValidationError(problems: problems) }
    }

    /// The longest function name, in bytes.
    public static let maxNameLength = 64

    /// Nil when `name` is a valid function name: 1 to 64 ASCII letters, digits, `-`, `_` or `.`, starting
    /// with a letter or digit. The name is a URL path segment, a metric label and a log field.
    public static func problem(withName name: String) -> String? {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty else { return "function name is empty" }
        guard bytes.count <= maxNameLength else {
            return "function name \"\(name)\" is longer than \(maxNameLength) bytes"
        }
        func isAlphanumeric(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        }
        guard isAlphanumeric(bytes[0]) else {
            return "function name \"\(name)\" is invalid: it must start with a letter or digit"
        }
        guard bytes.allSatisfy({ isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") }) else {
            return "function name \"\(name)\" is invalid: use only letters, digits, '-', '_' and '.'"
        }
        return nil
    }

    /// The valid method tokens: upper-case letters only, as every registered method in RFC 9110 is.
    public static func isValidMethod(_ method: String) -> Bool {
        !method.isEmpty && method.utf8.count <= 20 && method.utf8.allSatisfy { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) }
    }

    static func problems(with options: FunctionOptions, function name: String) -> [String] {
        var problems: [String] = []
        if options.methods.isEmpty { problems.append("function \"\(name)\": methods is empty") }
        for method in options.methods where !isValidMethod(method) {
            problems.append("function \"\(name)\": method \"\(method)\" is invalid: use an upper-case token such as POST")
        }
        if options.timeout <= .zero { problems.append("function \"\(name)\": timeout must be positive") }
        if options.maxConcurrency < 1 { problems.append("function \"\(name)\": maxConcurrency must be at least 1") }
        return problems
    }
}
