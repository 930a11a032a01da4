import Foundation
import Testing

/// Drives the built `trellis` binary the way a user does.
@Suite struct CLITests {
    @Test func helpListsCommands() async throws {
        let result = try await ProcessRunner.run(["--help"])
        #expect(result.status == 0)
        for command in ["serve", "invoke", "functions", "config check"] {
            #expect(result.stdout.contains(command))
        }
    }

    @Test(arguments: [
        ["bogus"], [], ["serve", "--bogus"], ["invoke"], ["invoke", "hello", "--method"], ["functions", "extra"],
        ["config"], ["serve", "--port", "99999"], ["serve", "--loops", "0"], ["invoke", "hello", "--header", "no-colon"],
    ])
    func usageErrorsExitWithTwo(arguments: [String]) async throws {
        let result = try await ProcessRunner.run(arguments)
        #expect(result.status == 2, "stderr: \(result.stderr)")
        #expect(!result.stderr.isEmpty)
    }

    @Test(arguments: ["serve", "invoke", "functions", "config"])
    func everyCommandHasHelp(command: String) async throws {
        let result = try await ProcessRunner.run([command, "--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("Usage: trellis \(command)"))
    }

    @Test func configCheckAcceptsShippedConfig() async throws {
        let result = try await ProcessRunner.run(["config", "check", "runtime/trellis.json"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stdout.contains("config OK"))
    }

    @Test func configCheckNamesBadField() async throws {
        let path = NSTemporaryDirectory() + "trellis-bad-\(getpid()).json"
        try #"{"functions": {"hello": {"decorators": [{"type": "rateLimit", "capacity": 0, "refillPerSecond": 1}]}}}"#
            .write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try await ProcessRunner.run(["config", "check", path])
        #expect(result.status == 1)
        #expect(result.stderr.contains("functions.hello.decorators[0].capacity"), "stderr: \(result.stderr)")
    }

    @Test func configErrorsNameFileOnce() async throws {
        let path = NSTemporaryDirectory() + "trellis-syntax-\(getpid()).json"
        try #"{"server": }"#.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try await ProcessRunner.run(["config", "check", path])
        #expect(result.status == 1)
        #expect(result.stderr.components(separatedBy: path).count == 2, "stderr: \(result.stderr)")
        #expect(result.stderr.contains("invalid JSON at line 1"))

        let directory = try await ProcessRunner.run(["config", "check", NSTemporaryDirectory()])
        #expect(directory.stderr.contains("is a directory"))
        let localhost = NSTemporaryDirectory() + "trellis-host-\(getpid()).json"
        try #"{"server": {"host": "localhost"}}"#.write(toFile: localhost, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: localhost) }
        let host = try await ProcessRunner.run(["config", "check", localhost])
        #expect(host.status == 1)
        #expect(host.stderr.contains("server.host"))
    }

    @Test func functionsShowsChainsAndOwners() async throws {
        let result = try await ProcessRunner.run(["functions", "--config", "runtime/trellis.json"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stdout.contains("logging > rateLimit(client)"))
        #expect(result.stdout.contains("platform-team"))
        let json = try await ProcessRunner.run(["functions", "--json"])
        let listing = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]]
        // The shipped examples, in registration order; functions a user adds may follow.
        let names = listing?.compactMap { $0["name"] as? String } ?? []
        let shipped = ["hello", "echo", "profile", "stats", "weather-report", "deploy-log", "heartbeat"]
        #expect(Array(names.prefix(shipped.count)) == shipped)
        #expect(names.contains("weather-stats"))
        #expect(names.contains("deploy-audit"))
    }

    @Test func invokeRunsTheChain() async throws {
        let hello = try await ProcessRunner.run(["invoke", "hello", "--query", "name=Ada"])
        #expect(hello.status == 0, "stderr: \(hello.stderr)")
        #expect(hello.stdout.hasPrefix("HTTP 200"))
        #expect(hello.stdout.contains("Hello, Ada!"))
        // The logging decorator in the default chain writes its line to standard error.
        #expect(hello.stderr.contains("invocation"))

        let denied = try await ProcessRunner.run(["invoke", "stats", "--data", #"{"values": [1, 2]}"#])
        #expect(denied.status == 1)
        #expect(denied.stdout.hasPrefix("HTTP 401"))

        let allowed = try await ProcessRunner.run(
            ["invoke", "stats", "--data", #"{"values": [1, 2]}"#, "--header", "X-API-Key: trellis-dev-key"])
        #expect(allowed.status == 0, "stdout: \(allowed.stdout) stderr: \(allowed.stderr)")
        #expect(allowed.stdout.contains("\"mean\":1.5"))
        #expect(!allowed.stderr.contains("trellis-dev-key"))
    }

    @Test func invokeReadsBodyFromFileAndStdin() async throws {
        let path = NSTemporaryDirectory() + "trellis-body-\(getpid()).txt"
        try "from a file".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let fromFile = try await ProcessRunner.run(["invoke", "echo", "--data", "@\(path)", "--header", "Content-Type: text/plain"])
        #expect(fromFile.status == 0)
        #expect(fromFile.stdout.contains("from a file"))
        #expect(fromFile.stdout.contains("Content-Type: text/plain"))

        let fromStdin = try await ProcessRunner.run(["invoke", "echo", "--data", "@-"], stdin: "from stdin")
        #expect(fromStdin.stdout.contains("from stdin"))

        let missing = try await ProcessRunner.run(["invoke", "echo", "--data", "@/nonexistent/file"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("/nonexistent/file"))
    }

    @Test func invokeUnknownFunctionFails() async throws {
        let result = try await ProcessRunner.run(["invoke", "nope"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("no function named \"nope\""))
    }
}
