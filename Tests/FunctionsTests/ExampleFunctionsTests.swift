import Functions
import Testing
import TrellisCore
import TrellisRuntime

/// Runs the shipped functions through `Application` with no config chains, as `trellis invoke` does.
@Suite struct ExampleFunctionsTests {
    private let application: Application = {
        let registry = FunctionRegistry()
        Functions.register(into: registry)
        return try! Application.build(registry: registry, config: RuntimeConfig(), logSink: MemoryLogSink())
    }()

    private func invoke(_ name: String, _ request: Request) async throws -> Response {
        let function = try #require(application.function(named: name))
        return await function.invokeWithDeadline(request, context: application.makeContext(for: function, incomingRequestID: nil))
    }

    private func stats(_ body: String) async throws -> (Int, JSON) {
        let response = try await invoke("stats", Request(method: "POST", body: Array(body.utf8)))
        return (response.status, try JSON.parse(response.body))
    }

    @Test func helloGreetsByName() async throws {
        #expect(try await invoke("hello", Request(query: "name=Ada%20L")).bodyText == "Hello, Ada L!\n")
        #expect(try await invoke("hello", Request()).bodyText == "Hello, world!\n")
    }

    @Test func echoReturnsBodyAndType() async throws {
        var request = Request(method: "POST", body: [0, 1, 2, 255])
        request.headers.add("Content-Type", "application/x-test")
        let response = try await invoke("echo", request)
        #expect(response.body == [0, 1, 2, 255])
        #expect(response.headers["Content-Type"] == "application/x-test")
        #expect(response.headers["X-Echo-Bytes"] == "4")
    }

    @Test func statsSummarisesValues() async throws {
        let (status, body) = try await stats(#"{"values": [4, 1, 3, 2], "percentiles": [50, 100, 12.5]}"#)
        #expect(status == 200)
        #expect(body["count"] == 4)
        #expect(body["sum"] == 10)
        #expect(body["mean"] == 2.5)
        #expect(body["min"] == 1)
        #expect(body["max"] == 4)
        // Sample standard deviation of 1...4: sqrt(5/3).
        #expect(abs((body["standardDeviation"]?.doubleValue ?? 0) - 1.2909944487358056) < 1e-12)
        #expect(body["percentiles"]?["50"] == 2.5)
        #expect(body["percentiles"]?["100"] == 4)
        #expect(body["percentiles"]?["12.5"] == 1.375)
    }

    @Test(arguments: [
        (#"{"values": []}"#, "empty"),
        (#"{"values": [1], "percentiles": [101]}"#, "outside"),
        (#"{"values": ["x"]}"#, "values[0]"),
        (#"{"numbers": [1]}"#, "'values' is missing"),
    ])
    func statsRejectsBadInput(body: String, fragment: String) async throws {
        let (status, json) = try await stats(body)
        #expect(status == 400)
        #expect(json["message"]?.stringValue?.contains(fragment) == true, "\(json)")
    }

    @Test func statsOverflowGives422() async throws {
        let (status, body) = try await stats(#"{"values": [1e308, 1e308]}"#)
        #expect(status == 422)
        #expect(body["error"] == "overflow")
    }

    @Test func statsCarriesCodeDecorator() async throws {
        let response = try await invoke("stats", Request(method: "POST", body: Array(#"{"values": [1]}"#.utf8)))
        #expect(response.headers["Server-Timing"]?.hasPrefix("handler;dur=") == true)
    }

    @Test func profileWithoutPrincipalFailsClosed() async throws {
        #expect(try await invoke("profile", Request()).status == 401)
    }
}
