import TrellisTestSupport
import Foundation
import Testing
import TrellisCore
import TrellisRuntime
@testable import TrellisGateway

/// Gateway behaviour that needs no request parsing: start errors, connection limits, idle close, shutdown.
@Suite struct GatewayLifecycleTests {
    @Test func invalidHostRejected() throws {
        let application = try Application.build(registry: FunctionRegistry(), config: RuntimeConfig(), logSink: MemoryLogSink())
        let gateway = Gateway(application: application, host: "localhost", port: 0)
        #expect {
            _ = try gateway.start()
        } throws: { error in
            (error as? GatewayError)?.code == "invalid_host"
        }
    }

    @Test func portInUseRejected() async throws {
        let harness = try GatewayHarness.start()
        let second = Gateway(application: harness.application, host: "127.0.0.1", port: harness.port)
        #expect {
            _ = try second.start()
        } throws: { error in
            (error as? GatewayError)?.code == "bind_failed"
        }
        await harness.stop()
    }

    @Test func secondStartRejected() async throws {
        let harness = try GatewayHarness.start()
        #expect {
            _ = try harness.gateway.start()
        } throws: { error in
            (error as? GatewayError)?.code == "already_started"
        }
        await harness.stop()
    }

    @Test func idleConnectionClosedAfterTimeout() async throws {
        let harness = try GatewayHarness.start { $0.idleTimeoutSeconds = 0.3 }
        let client = try harness.connect(timeoutSeconds: 3)
        let start = ContinuousClock.now
        #expect(await client.readsEOF())
        let elapsed = ContinuousClock.now - start
        #expect(elapsed >= .milliseconds(250))
        #expect(elapsed < .seconds(2))
        await harness.stop()
    }

    @Test func connectionsOverLimitClosed() async throws {
        let harness = try GatewayHarness.start { $0.maxConnections = 1 }
        let first = try harness.connect()
        #expect(await harness.waitUntil { harness.metric("trellis_open_connections") == 1 })
        let second = try harness.connect(timeoutSeconds: 2)
        #expect(await second.readsEOF())
        #expect(harness.metric("trellis_connections_rejected_total") == 1)
        #expect(harness.metric("trellis_connections_total") == 2)
        #expect(harness.metric("trellis_open_connections") == 1)
        _ = first
        await harness.stop()
    }

    @Test func shutdownClosesIdleAndStopsListening() async throws {
        let harness = try GatewayHarness.start()
        let client = try harness.connect()
        #expect(await harness.waitUntil { harness.metric("trellis_open_connections") == 1 })
        let start = ContinuousClock.now
        await harness.gateway.shutdown(grace: .seconds(5))
        #expect(ContinuousClock.now - start < .seconds(2))
        #expect(await client.readsEOF())
        #expect(harness.metric("trellis_open_connections") == 0)
        #expect(throws: TestClientError.self) { _ = try harness.connect() }
        #expect(harness.logs.all.contains { $0.message == "gateway stopped" })
    }

    @Test func shutdownTwiceReturns() async throws {
        let harness = try GatewayHarness.start()
        await harness.stop()
        await harness.stop()
    }
}
