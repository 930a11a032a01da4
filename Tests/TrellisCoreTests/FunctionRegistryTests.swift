import Testing
import TrellisCore

@Suite struct FunctionRegistryTests {
    @Test func duplicateNameIsReported() {
        let registry = FunctionRegistry()
        registry.register("hello") { _, _ in .text("1") }
        registry.register("hello") { _, _ in .text("2") }
        #expect(throws: FunctionRegistry.ValidationError.self) { try registry.validate() }
        #expect(registry.problems == ["function \"hello\" is registered twice"])
    }

    @Test(arguments: ["", "-lead", "has space", "slash/name", "ünï", String(repeating: "a", count: 65)])
    func invalidNameIsReported(name: String) {
        let registry = FunctionRegistry()
        registry.register(name) { _, _ in .text("x") }
        #expect(registry.problems.count == 1)
        #expect(registry.problems.first?.contains("function name") == true)
    }

    @Test(arguments: ["a", "hello-world", "v1.stats_2", String(repeating: "a", count: 64)])
    func validNameIsAccepted(name: String) throws {
        let registry = FunctionRegistry()
        registry.register(name) { _, _ in .text("x") }
        try registry.validate()
    }

    @Test func badOptionsAreReported() {
        let registry = FunctionRegistry()
        registry.register("f", options: FunctionOptions(methods: ["get"], timeout: .zero, maxConcurrency: 0)) { _, _ in .text("x") }
        #expect(registry.problems.count == 3)
    }
}
