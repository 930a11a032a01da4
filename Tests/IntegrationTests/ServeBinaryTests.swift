import Foundation
import Testing
import TrellisTestSupport
import TrellisCore

/// Runs `trellis serve` with the shipped config on a free port, as `make run` does, and reads its
/// standard output: the startup table, then one JSON log line per invocation (stdout is a pipe here).
@Suite struct ServeBinaryTests {
    final class Server: @unchecked Sendable {
        let child: ChildProcess
        let errors: ReadAll
        private var buffered = ""
        private(set) var port = 0

        /// Starts `trellis serve` with `arguments` after `--port 0`, or with `arguments` alone when
        /// `portFlag` is false, in the package folder (the test's working directory).
        init(arguments: [String] = [], environment: [String: String] = [:], portFlag: Bool = true) throws {
            var merged = ProcessInfo.processInfo.environment
            merged.removeValue(forKey: "TRELLIS_CONFIG")
            merged.removeValue(forKey: "PORT")
            for (key, value) in environment { merged[key] = value }
            child = try ChildProcess(
                executable: ProcessRunner.trellisPath, arguments: ["serve"] + (portFlag ? ["--port", "0"] : []) + arguments,
                environment: merged)
            child.closeInput()
            errors = ReadAll(descriptor: child.errors)
            let line = try readLine(containing: "listening on", timeout: .seconds(30))
            guard let range = line.range(of: "(port "), let end = line[range.upperBound...].firstIndex(of: ")"),
                let port = Int(line[range.upperBound..<end])
            else { throw TestClientError.system("no port in startup line \(line)") }
            self.port = port
        }

        /// Reads standard output until a line contains `text`, bounded by `timeout`.
        func readLine(containing text: String, timeout: Duration) throws -> String {
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline {
                if let line = buffered.split(separator: "\n").first(where: { $0.contains(text) }) { return String(line) }
                var poller = pollfd(fd: child.output, events: Int16(POLLIN), revents: 0)
                guard poll(&poller, 1, 100) > 0 else { continue }
                var chunk = [UInt8](repeating: 0, count: 65_536)
                let count = chunk.withUnsafeMutableBytes { read(child.output, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                buffered += String(decoding: chunk[0..<count], as: UTF8.self)
            }
            throw TestClientError.system("no line containing \"\(text)\" within \(timeout); output: \(buffered)")
        }

        /// Sends SIGTERM and returns the exit status and the rest of standard output.
        func terminate() -> (Int32, String) {
            child.send(SIGTERM)
            let rest = ReadAll(descriptor: child.output)
            let deadline = ContinuousClock.now + .seconds(15)
            while child.isRunning && ContinuousClock.now < deadline { usleep(10_000) }
            if child.isRunning { child.send(SIGKILL) }
            let status = child.waitExit()
            return (status, buffered + rest.wait())
        }
    }

    @Test func serveLogsOneLinePerInvocationWithoutSecrets() async throws {
        let server = try await offPool { try Server() }
        let secrets = ["trellis-dev-key", "cookie-secret-77", "query-secret-88", "eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl"]

        let hello = try await TestClient.request(
            port: server.port, "GET", "/function/hello?token=query-secret-88",
            headers: [("X-Request-Id", "it-req-1"), ("Cookie", "session=cookie-secret-77")])
        #expect(hello.status == 200)
        #expect(hello.header("X-Request-Id") == "it-req-1")
        let stats = try await TestClient.request(
            port: server.port, "POST", "/function/stats", headers: [("X-API-Key", "trellis-dev-key"), ("X-Request-Id", "it-req-2")],
            body: #"{"values": [1]}"#)
        #expect(stats.status == 200)
        let profile = try await TestClient.request(
            port: server.port, "GET", "/function/profile",
            headers: [("Authorization", "Bearer \(secrets[3])"), ("X-Request-Id", "it-req-3")])
        #expect(profile.status == 401)
        #expect(try await TestClient.request(port: server.port, "GET", "/healthz").status == 200)

        _ = try await offPool { try server.readLine(containing: "it-req-3", timeout: .seconds(10)) }
        let (status, output) = try await offPool { server.terminate() }
        #expect(status == 0, "exit status after SIGTERM")

        let lines = output.split(separator: "\n").compactMap { try? JSON.parse(String($0)) }
        let invocations = lines.filter { $0["msg"] == "invocation" }
        #expect(invocations.map { $0["requestId"] ?? .null } == ["it-req-1", "it-req-2", "it-req-3"])
        #expect(invocations.map { $0["status"] ?? .null } == [200, 200, 401])
        #expect(invocations.map { $0["function"] ?? .null } == ["hello", "stats", "profile"])
        #expect(invocations[1]["principal"] == "dev")
        let errorOutput = try await offPool { server.errors.wait() }
        let everything = output + errorOutput
        for secret in secrets {
            #expect(!everything.contains(secret), "output leaks \(secret)")
        }
        #expect(output.contains("FUNCTION"))
        #expect(output.contains("logging > rateLimit(client)"))
    }

    @Test func loopsFlagSpreadsAndStopsOnce() async throws {
        let server = try await offPool { try Server(arguments: ["--loops", "2"]) }
        // 24 connections land on one loop only with a chance of 2^-23.
        for _ in 0..<24 {
            #expect(try await TestClient.request(port: server.port, "GET", "/healthz").status == 200)
        }
        let metrics = try await TestClient.request(port: server.port, "GET", "/metrics").text
        for loop in 0..<2 {
            let line = metrics.split(separator: "\n").first { $0.hasPrefix("trellis_loop_connections_total{loop=\"\(loop)\"} ") }
            let count = line.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
            #expect(count > 0, "loop \(loop): \(line ?? "no series")")
        }
        let (status, output) = try await offPool { server.terminate() }
        #expect(status == 0)
        // Both loops catch SIGTERM; the stop starts once and every loop drains.
        #expect(output.components(separatedBy: "signal received; stopping").count == 2)
        #expect(output.components(separatedBy: "gateway draining").count == 3)
        #expect(output.contains("gateway stopped"))
    }

    @Test func portFlagWinsOverEnvironment() async throws {
        // --port 0 (set by Server) wins over PORT, so the server still starts on a free port.
        let server = try await offPool { try Server(environment: ["PORT": "1"]) }
        #expect(server.port > 1)
        #expect(try await TestClient.request(port: server.port, "GET", "/function/hello").status == 200)
        let (status, _) = try await offPool { server.terminate() }
        #expect(status == 0)
    }

    @Test func portFromEnvironmentWhenNoFlag() async throws {
        let server = try await offPool { try Server(environment: ["PORT": "0"], portFlag: false) }
        #expect(server.port > 0)
        #expect(try await TestClient.request(port: server.port, "GET", "/healthz").status == 200)
        let (status, _) = try await offPool { server.terminate() }
        #expect(status == 0)
    }

    @Test func invalidPortEnvironmentStopsStartup() async throws {
        let result = try await ProcessRunner.run(["serve"], environment: ["PORT": "eighty"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("PORT must be a whole number"))
    }
}
