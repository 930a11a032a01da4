import Foundation
import Glibc
import Testing
import TrellisCore
import TrellisRuntime
import TrellisTestSupport
@testable import TrellisGateway

/// A gateway with several event loops: connections spread over the loops' `SO_REUSEPORT` sockets,
/// gateway-wide limits and a shutdown that drains every loop.
///
/// Which loop accepts a connection is the kernel's choice, by a hash of the connection's addresses and
/// ports. The tests open enough connections that all landing on one of 2 loops has a chance of about
/// 2^-23 or less, and read the per-loop counters to check where they landed.
@Suite struct GatewayMultiLoopTests {
    private static func loopConnections(_ harness: GatewayHarness, loop: Int) -> Int {
        harness.metric("trellis_loop_connections_total{loop=\"\(loop)\"}") ?? 0
    }

    @Test func concurrentConnectionsServedByBothLoops() async throws {
        let harness = try GatewayHarness.start(eventLoops: 2)
        let connectionCount = 40
        let requestsPerConnection = 5
        // All connections stay open, and each round has a request in flight on every one of them. The
        // responses are read one after another, which keeps the test from starving other suites' threads.
        var clients: [TestClient] = []
        for _ in 0..<connectionCount { clients.append(try harness.connect()) }
        var bodies: [String] = []
        for _ in 0..<requestsPerConnection {
            for client in clients { try client.send("GET /function/hello HTTP/1.1\r\nHost: x\r\n\r\n") }
            for client in clients {
                let response = try await client.readResponse()
                bodies.append(response.status == 200 ? response.text : "status \(response.status)")
            }
        }

        #expect(bodies.count == connectionCount * requestsPerConnection)
        #expect(bodies.allSatisfy { $0 == "hello" })
        let first = Self.loopConnections(harness, loop: 0)
        let second = Self.loopConnections(harness, loop: 1)
        #expect(first + second == connectionCount)
        #expect(first > 0)
        #expect(second > 0)
        #expect(harness.metric("trellis_connections_total") == connectionCount)
        await harness.stop()
    }

    @Test func shutdownDrainsInFlightOnBothLoops() async throws {
        let harness = try GatewayHarness.start(eventLoops: 2)
        let connectionCount = 24
        var clients: [TestClient] = []
        for _ in 0..<connectionCount {
            let client = try harness.connect(timeoutSeconds: 10)
            try client.send("GET /function/held HTTP/1.1\r\nHost: x\r\n\r\n")
            clients.append(client)
        }
        #expect(await harness.waitUntil { harness.gate.waiters == connectionCount })
        #expect(Self.loopConnections(harness, loop: 0) > 0)
        #expect(Self.loopConnections(harness, loop: 1) > 0)

        let stopping = Task { await harness.gateway.shutdown(grace: .seconds(10)) }
        // Both listening sockets close, so a new connection is refused instead of landing on a loop.
        #expect(await harness.waitUntil { (try? harness.connect(timeoutSeconds: 1)) == nil })
        harness.gate.open()
        for client in clients {
            let response = try await client.readResponse()
            #expect(response.status == 200)
            #expect(response.text == "held")
            #expect(response.header("Connection") == "close")
        }
        await stopping.value
        #expect(harness.metric("trellis_open_connections") == 0)
        #expect(harness.logs.all.filter { $0.message == "gateway draining" }.count == 2)
        #expect(harness.logs.all.contains { $0.message == "gateway stopped" })
    }

    @Test func portZeroBindsEveryLoopToOnePort() async throws {
        let harness = try GatewayHarness.start(eventLoops: 2)
        #expect(harness.port > 0)
        #expect(try Self.listeningSocketCount(port: harness.port) == 2)

        // The probe without SO_REUSEPORT keeps a second gateway from sharing the port silently.
        let second = Gateway(application: harness.application, host: "127.0.0.1", port: harness.port, eventLoops: 2)
        #expect {
            _ = try second.start()
        } throws: { error in
            (error as? GatewayError)?.code == "bind_failed"
        }
        #expect(try Self.listeningSocketCount(port: harness.port) == 2)
        await harness.stop()
        #expect(try Self.listeningSocketCount(port: harness.port) == 0)
    }

    @Test func connectionLimitHoldsOverAllLoops() async throws {
        let harness = try GatewayHarness.start(eventLoops: 2) { $0.maxConnections = 2 }
        let heldOpen = [try harness.connect(), try harness.connect()]
        #expect(await harness.waitUntil { harness.metric("trellis_open_connections") == 2 })
        // With a per-loop count, some of these would land on a loop holding fewer than 2 and stay open.
        let extraCount = 8
        for _ in 0..<extraCount {
            let extra = try harness.connect(timeoutSeconds: 2)
            #expect(await extra.readsEOF())
        }
        #expect(harness.metric("trellis_connections_rejected_total") == extraCount)
        #expect(harness.metric("trellis_open_connections") == 2)
        _ = heldOpen
        await harness.stop()
    }

    @Test(arguments: [0, 65])
    func eventLoopCountOutOfRangeRejected(count: Int) throws {
        let application = try Application.build(registry: FunctionRegistry(), config: RuntimeConfig(), logSink: MemoryLogSink())
        let gateway = Gateway(application: application, host: "127.0.0.1", port: 0, eventLoops: count)
        #expect {
            _ = try gateway.start()
        } throws: { error in
            (error as? GatewayError)?.code == "invalid_event_loops"
        }
    }

    @Test(.enabled(if: hasIPv6Loopback(), "this machine has no IPv6 loopback address ::1"))
    func ipv6LoopbackServedByBothLoops() async throws {
        let harness = try GatewayHarness.start(eventLoops: 2, host: "::1")
        let connectionCount = 24
        for _ in 0..<connectionCount {
            let response = try await offPool { try Self.getOverIPv6(port: harness.port, path: "/function/hello") }
            #expect(response.hasPrefix("HTTP/1.1 200 "))
            #expect(response.hasSuffix("\r\n\r\nhello"))
        }
        #expect(Self.loopConnections(harness, loop: 0) > 0)
        #expect(Self.loopConnections(harness, loop: 1) > 0)
        await harness.stop()
    }

    // MARK: Helpers

    /// True when a TCP socket can bind `::1`; false on a machine with IPv6 disabled.
    static func hasIPv6Loopback() -> Bool {
        let descriptor = socket(AF_INET6, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_in6()
        address.sin6_family = sa_family_t(AF_INET6)
        address.sin6_addr = in6addr_loopback
        return withUnsafePointer(to: &address) {
            bind(descriptor, UnsafeRawPointer($0).assumingMemoryBound(to: sockaddr.self), socklen_t(MemoryLayout<sockaddr_in6>.size))
        } == 0
    }

    /// Sends one `GET path` with `Connection: close` to `[::1]:port` and returns everything read until
    /// the server closes, waiting at most 5 s for each read.
    static func getOverIPv6(port: Int, path: String) throws -> String {
        let descriptor = socket(AF_INET6, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw TestClientError.system("socket failed: errno \(errno)") }
        defer { close(descriptor) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in6()
        address.sin6_family = sa_family_t(AF_INET6)
        address.sin6_port = in_port_t(UInt16(port).bigEndian)
        address.sin6_addr = in6addr_loopback
        let status = withUnsafePointer(to: &address) {
            connect(descriptor, UnsafeRawPointer($0).assumingMemoryBound(to: sockaddr.self), socklen_t(MemoryLayout<sockaddr_in6>.size))
        }
        guard status == 0 else { throw TestClientError.system("connect to [::1]:\(port) failed: errno \(errno)") }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: [::1]\r\nConnection: close\r\n\r\n".utf8)
        guard send(descriptor, request, request.count, Int32(MSG_NOSIGNAL)) == request.count else {
            throw TestClientError.system("send failed: errno \(errno)")
        }
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(descriptor, &chunk, chunk.count, 0)
            if count == 0 { break }
            guard count > 0 else { throw TestClientError.timedOut("response from [::1]:\(port)") }
            received += chunk[..<count]
        }
        return String(decoding: received, as: UTF8.self)
    }

    /// Counts the IPv4 and IPv6 TCP sockets in the LISTEN state on `port`, from `/proc/net/tcp` and
    /// `/proc/net/tcp6` (Linux; the local address ends in the port in hexadecimal, state `0A` is LISTEN).
    /// Counts this process's listening TCP sockets on `port`. Sockets of other processes are left out,
    /// because another test run on the machine may bind the port once this test released it.
    static func listeningSocketCount(port: Int) throws -> Int {
        let ownInodes = ownSocketInodes()
        var count = 0
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            // Read to the end: a procfs file reports size 0, and the table spans many pages when the
            // other tests hold many sockets.
            guard let handle = FileHandle(forReadingAtPath: table) else { continue }
            defer { try? handle.close() }
            let text = String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ")
                guard fields.count > 3, let colon = fields[1].lastIndex(of: ":") else { continue }
                let localPort = Int(fields[1][fields[1].index(after: colon)...], radix: 16)
                // Field 9 is the socket's inode (proc(5), /proc/net/tcp); state 0A is LISTEN.
                guard fields.count > 9, let inode = Int(fields[9]), ownInodes.contains(inode) else { continue }
                if localPort == port && fields[3] == "0A" { count += 1 }
            }
        }
        return count
    }

    /// The inodes of the sockets this process has open, from the `socket:[INODE]` links in /proc/self/fd.
    static func ownSocketInodes() -> Set<Int> {
        var inodes = Set<Int>()
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for entry in entries {
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(entry)"),
                  target.hasPrefix("socket:["), target.hasSuffix("]"),
                  let inode = Int(target.dropFirst("socket:[".count).dropLast())
            else { continue }
            inodes.insert(inode)
        }
        return inodes
    }
}
