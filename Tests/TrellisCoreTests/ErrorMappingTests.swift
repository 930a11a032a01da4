import Testing
import TrellisCore

private struct InternalFailure: Error, CustomStringConvertible {
    var description: String { "database password=hunter2 rejected" }
}

@Suite struct ErrorMappingTests {
    @Test func unknownErrorBecomes500WithoutDetail() throws {
        let context = makeContext(requestID: "abc")
        let response = ErrorMapping.response(for: InternalFailure(), context: context)
        #expect(response.status == 500)
        #expect(!response.bodyText.contains("hunter2"))
        let body = try JSON.parse(response.body)
        #expect(body["error"] == "internal_error")
        #expect(body["requestId"] == "abc")
    }

    @Test func httpErrorKeepsStatusAndHeaders() throws {
        let error = HTTPError(418, code: "teapot", message: "short and stout", headers: Headers([("Retry-After", "3")]))
        let response = ErrorMapping.response(for: error, context: makeContext())
        #expect(response.status == 418)
        #expect(response.headers["Retry-After"] == "3")
        #expect(response.headers["Content-Type"] == "application/json")
        #expect(try JSON.parse(response.body)["message"] == "short and stout")
    }

    @Test func timedOutContextGives504() {
        let context = makeContext()
        context.markTimedOut()
        #expect(ErrorMapping.status(for: CancellationError(), context: context) == 504)
        #expect(ErrorMapping.response(for: HTTPError.badRequest("x"), context: context).status == 504)
    }
}
