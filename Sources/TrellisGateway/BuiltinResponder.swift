import TrellisCore
import TrellisRuntime

/// Builds the responses of the built-in endpoints.
///
/// `GET /functions` returns `FunctionListing.json`. The list does not change after startup, so its body
/// is encoded once.
struct BuiltinResponder: Sendable {
    /// The Prometheus text format version 0.0.4 content type.
    static let metricsContentType = "text/plain; version=0.0.4"

    let application: Application
    private let functionListBody: [UInt8]

    init(application: Application) {
        self.application = application
        functionListBody = Array(FunctionListing.json(application).serialized().utf8)
    }

    /// Builds the response of `endpoint`. `draining` is true once shutdown began, which turns the health check
    /// into 503 so that a load balancer stops sending new requests.
    func response(for endpoint: BuiltinEndpoint, draining: Bool) -> Response {
        switch endpoint {
        case .health:
            let body: JSON = draining ? ["status": "draining"] : ["status": "ok"]
            return Response.json(body, status: draining ? 503 : 200)
        case .functions:
            return Response.json(bytes: functionListBody)
        case .metrics:
            var headers = Headers()
            headers.add("Content-Type", Self.metricsContentType)
            return Response(status: 200, headers: headers, body: Array(application.metrics.render().utf8))
        }
    }
}
