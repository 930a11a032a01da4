import Testing
import TrellisCore

private struct Point: Codable, Sendable, Equatable {
    var x: Double
    var tags: [String]
    var inner: Inner?
    struct Inner: Codable, Sendable, Equatable { var depth: Int }
}

@Suite struct CodableAdapterTests {
    private func invoke(_ body: String, contentType: String? = "application/json") async throws -> Response {
        let registry = FunctionRegistry()
        registry.register("point") { (point: Point, _: Context) async throws -> Point in point }
        var headers = Headers()
        if let contentType { headers.add("Content-Type", contentType) }
        let handler = try #require(registry.function(named: "point")).handler
        do {
            return try await handler(Request(method: "POST", headers: headers, body: Array(body.utf8)), makeContext())
        } catch let error as HTTPError {
            return error.response(requestID: "t")
        }
    }

    @Test func decodesAndEncodes() async throws {
        let response = try await invoke(#"{"x": 1.5, "tags": ["a"]}"#)
        #expect(response.status == 200)
        #expect(response.headers["Content-Type"] == "application/json")
        #expect(try JSON.parse(response.body)["x"] == .double(1.5))
    }

    @Test(arguments: [
        (#"{"tags": []}"#, "Field 'x' is missing."),
        (#"{"x": "1", "tags": []}"#, "Field 'x' has the wrong type: expected a number."),
        (#"{"x": 1, "tags": [1]}"#, "Field 'tags[0]' has the wrong type: expected a string."),
        (#"{"x": 1, "tags": [], "inner": {"depth": 1.5}}"#, "A number in the body does not fit its field"),
        ("{", "The body is not valid JSON: invalid JSON at line 1"),
        ("", "The body is empty"),
        (#"{"x": 1, "tags": [], "x": 2}"#, "The body is not valid JSON"),
        (#"{"x": 1, "tags": [],}"#, "The body is not valid JSON"),
    ])
    func badBodyGives400NamingField(body: String, message: String) async throws {
        let response = try await invoke(body)
        #expect(response.status == 400)
        let json = try JSON.parse(response.body)
        #expect(json["error"] == "invalid_body")
        #expect(json["message"]?.stringValue?.hasPrefix(message) == true, "message: \(json["message"]?.stringValue ?? "")")
    }

    @Test func nonJSONContentTypeGives415() async throws {
        #expect(try await invoke(#"{"x": 1, "tags": []}"#, contentType: "text/plain").status == 415)
        #expect(try await invoke(#"{"x": 1, "tags": []}"#, contentType: "application/problem+json").status == 200)
        #expect(try await invoke(#"{"x": 1, "tags": []}"#, contentType: nil).status == 200)
    }
}
