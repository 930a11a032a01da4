import Glibc
import Testing
import TrellisCore
import TrellisRuntime

@Suite struct RuntimeConfigTests {
    private func parse(_ text: String) throws(ConfigError) -> RuntimeConfig {
        try RuntimeConfig.parse(Array(text.utf8))
    }

    @Test func emptyObjectGivesDefaults() throws {
        let config = try parse("{}")
        #expect(config.server == ServerSettings())
        #expect(config.server.port == 8080)
        #expect(config.server.limits.bodyBytes == 1_048_576)
        #expect(config.defaultDecorators.isEmpty)
    }

    @Test func readsEverySection() throws {
        let config = try parse(
            """
            {
              "server": {"host": "::1", "port": 0, "shutdownGraceSeconds": 2,
                         "limits": {"bodyBytes": 2048, "headerTimeoutSeconds": 0.5, "requestsPerConnection": 3}},
              "logging": {"level": "debug", "format": "json"},
              "defaults": {"decorators": [{"type": "logging", "level": "warning"}]},
              "functions": {"hello": {"methods": ["GET"], "timeoutSeconds": 1.5, "maxConcurrency": 4,
                                      "owner": "team-a", "inheritDefaults": false,
                                      "decorators": [{"type": "custom", "x": 1}]}}
            }
            """)
        #expect(config.server.host == "::1")
        #expect(config.server.port == 0)
        #expect(config.server.limits.bodyBytes == 2048)
        #expect(config.server.limits.headerTimeoutSeconds == 0.5)
        #expect(config.server.limits.requestsPerConnection == 3)
        #expect(config.logging.level == .debug)
        #expect(config.logging.format == .json)
        #expect(config.defaultDecorators.map(\.type) == ["logging"])
        #expect(config.defaultDecorators.first?.path == "defaults.decorators[0]")
        let hello = try #require(config.functions["hello"])
        #expect(hello.methods == ["GET"])
        #expect(hello.timeoutSeconds == 1.5)
        #expect(hello.maxConcurrency == 4)
        #expect(hello.owner == "team-a")
        #expect(hello.inheritDefaults == false)
        #expect(hello.decorators.first?.path == "functions.hello.decorators[0]")
    }

    @Test(arguments: [
        (#"{"sever": {}}"#, "sever"),
        (#"{"server": {"port": 70000}}"#, "server.port"),
        (#"{"server": {"port": "80"}}"#, "server.port"),
        (#"{"server": {"host": "localhost"}}"#, "server.host"),
        (#"{"server": {"host": "fe80::1%lo"}}"#, "server.host"),
        (#"{"server": {"host": ""}}"#, "server.host"),
        (#"{"server": {"limits": {"bodyBytes": -1}}}"#, "server.limits.bodyBytes"),
        (#"{"server": {"limits": {"headerTimeout": 1}}}"#, "server.limits.headerTimeout"),
        (#"{"logging": {"level": "loud"}}"#, "logging.level"),
        (#"{"logging": {"flushMilliseconds": -1}}"#, "logging.flushMilliseconds"),
        (#"{"logging": {"flushMilliseconds": 10001}}"#, "logging.flushMilliseconds"),
        (#"{"logging": {"flushMilliseconds": 2.5}}"#, "logging.flushMilliseconds"),
        (#"{"defaults": {"decorators": {}}}"#, "defaults.decorators"),
        (#"{"defaults": {"decorators": [{}]}}"#, "defaults.decorators[0].type"),
        (#"{"functions": {"bad name": {}}}"#, "functions.bad name"),
        (#"{"functions": {"f": {"methods": ["get"]}}}"#, "functions.f.methods"),
        (#"{"functions": {"f": {"timeoutSeconds": 0}}}"#, "functions.f.timeoutSeconds"),
        (#"{"functions": {"f": {"owner": 3}}}"#, "functions.f.owner"),
        (#"{"functions": {"f": []}}"#, "functions.f"),
        (#"{"server": {"limits": {"bodyBytes": 4096, "maxBufferedBodyBytes": 2048}}}"#, "server.limits.maxBufferedBodyBytes"),
        (#"{"server": {"eventLoops": 0}}"#, "server.eventLoops"),
        (#"{"server": {"eventLoops": 65}}"#, "server.eventLoops"),
    ])
    func invalidSettingNamesField(text: String, field: String) {
        do {
            _ = try parse(text)
            Issue.record("expected an error for \(text)")
        } catch {
            #expect(error.field == field, "\(error)")
        }
    }

    @Test func flushMillisecondsReadAndDefaulted() throws {
        #expect(try parse("{}").logging.flushMilliseconds == 50)
        #expect(try parse(#"{"logging": {"flushMilliseconds": 0}}"#).logging.flushMilliseconds == 0)
        #expect(try parse(#"{"logging": {"flushMilliseconds": 10000}}"#).logging.flushMilliseconds == 10_000)
    }

    @Test func eventLoopsReadAndDefaulted() throws {
        #expect(try parse(#"{"server": {"eventLoops": 3}}"#).server.eventLoops == 3)
        let online = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        #expect(try parse("{}").server.eventLoops == min(max(online, 1), 64))
    }

    @Test func invalidJSONGivesPosition() {
        do {
            _ = try parse("{\"server\": }")
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("invalid JSON"))
            #expect(error.description.contains("line 1"))
        }
    }

    @Test func missingFileIsNamed() {
        #expect(throws: ConfigError.self) { try RuntimeConfig.load(path: "/nonexistent/trellis.json") }
    }
}
