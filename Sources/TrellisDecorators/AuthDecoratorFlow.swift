import TrellisCore

/// The request flow both auth decorators share. It authenticates, counts the outcome and sets the
/// principal before the rest of the chain runs. On failure it throws the failure's 401, 403 or 400 response.
///
/// An invocation whose context already contains a trigger principal comes from the event worker (see
/// `AuthTriggerPolicy` for why HTTP input cannot produce one). It is checked against the trigger
/// policy instead of the request's header fields, which carry no credentials in that case.
enum AuthDecoratorFlow {
    /// Authenticates the request, or authorizes the trigger of an invocation from the event worker, and
    /// sets the principal. This is the auth decorators' `before`: the rest of the chain runs after it.
    static func before(
        _ request: Request, context: Context, decorator name: String, realm: String,
        metrics: AuthDecoratorMetrics?, triggers: AuthTriggerPolicy,
        authenticate: (Request) throws(AuthDecoratorFailure) -> Principal
    ) throws(HTTPError) -> InlineDecoratorStep<Void> {
        if AuthTriggerPolicy.isTrigger(context.principal) {
            try authorizeTrigger(context: context, decorator: name, realm: realm, metrics: metrics, triggers: triggers)
            return .proceed(())
        }

        let principal: Principal
        do {
            principal = try authenticate(request)
        } catch {
            metrics?.recordFailure(function: context.functionName, reason: error.code)
            // Debug, not info: the logging decorator's line already records the 401 or 403, and under a
            // credential-guessing attack a second line per request would double the log volume.
            context.logger.debug("authentication failed", [("decorator", .string(name)), ("reason", .string(error.code))])
            throw error.httpError(realm: realm)
        }
        metrics?.recordSuccess(function: context.functionName)
        // The level is checked here because the array of fields is allocated before `debug` could check it.
        if context.logger.level <= .debug {
            context.logger.debug("authenticated", [("decorator", .string(name)), ("principal", .string(principal.id))])
        }
        context.principal = principal
        return .proceed(())
    }

    /// Lets a batch through when its trigger principal is allowed; a batch has no credentials to read.
    static func handleBatch(
        _ batch: Batch, context: Context, next: BatchHandler, decorator name: String, realm: String,
        metrics: AuthDecoratorMetrics?, triggers: AuthTriggerPolicy
    ) async throws -> BatchResult {
        try authorizeTrigger(context: context, decorator: name, realm: realm, metrics: metrics, triggers: triggers)
        return try await next(batch, context)
    }

    private static func authorizeTrigger(
        context: Context, decorator name: String, realm: String, metrics: AuthDecoratorMetrics?, triggers: AuthTriggerPolicy
    ) throws(HTTPError) {
        do {
            try triggers.check(context.principal)
        } catch {
            metrics?.recordFailure(function: context.functionName, reason: error.code)
            context.logger.debug(
                "trigger not allowed",
                [("decorator", .string(name)), ("principal", context.principal.map { .string($0.id) } ?? .null)])
            throw error.httpError(realm: realm)
        }
        metrics?.recordSuccess(function: context.functionName)
        context.logger.debug("trigger allowed", [("decorator", .string(name)), ("principal", .string(context.principal?.id ?? ""))])
    }
}
