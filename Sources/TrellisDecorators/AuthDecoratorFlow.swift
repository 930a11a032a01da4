import TrellisCore

/// The request flow both auth decorators share. It authenticates, counts the outcome, sets the
/// principal and calls `next`. On failure it throws the failure's 401, 403 or 400 response.
enum AuthDecoratorFlow {
    static func handle(
        _ request: Request, context: Context, next: Handler, decorator name: String, realm: String,
        metrics: AuthDecoratorMetrics?, authenticate: (Request) throws(AuthDecoratorFailure) -> Principal
    ) async throws -> Response {
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
        context.logger.debug("authenticated", [("decorator", .string(name)), ("principal", .string(principal.id))])
        context.principal = principal
        return try await next(request, context)
    }
}
