import Foundation
import NIOCore
import NIOHTTP1
import OpenrukoCore
import ServiceLifecycle
import Synchronization
import TestSupport
import Testing

@testable import Routing

/// Switching dynos and stopping the router without failing requests.
@Suite(.timeLimit(.minutes(15))) struct RouterDrainTests {
    @Test func drainWaitsForTheRequestInFlightWhichSucceeds() async throws {
        let old = try await TestBackend.start(name: "web.1")
        let new = try await TestBackend.start(name: "web.1")
        let appID = UUID()
        try await RouterHarness.with { router in
            router.routes.set("swap.localhost", .backends(app: "swap", appID: appID, [old.backend]))
            async let slow = router.curl("swap.localhost", ["/wait/finish"], ["-w", "\n%{http_code}"])
            while old.requests.isEmpty { try await Task.sleep(for: .milliseconds(20)) }
            #expect(router.router.drain.count(old.backend) == 1)

            // The runtime's switch: new dynos in the table, then drain the old one.
            router.routes.set("swap.localhost", .backends(app: "swap", appID: appID, [new.backend]))
            let drained = Mutex(false)
            let draining = Task {
                await router.router.drain.drain(old.backend, timeout: .seconds(60))
                drained.withLock { $0 = true }
            }
            let fresh = try await router.curl("swap.localhost", ["/"], ["-o", "/dev/null", "-w", "%{http_code}"])
            #expect(fresh.stdout == "200")
            #expect(new.requests.count == 1)
            try await Task.sleep(for: .milliseconds(200))
            #expect(!drained.withLock { $0 }, "the old dyno still serves a request")

            old.gates.open("finish")
            await draining.value
            #expect(router.router.drain.count(old.backend) == 0)
            #expect(try await slow.stdout.hasSuffix("\n200"))
        }
        await old.stop()
        await new.stop()
    }

    @Test func gracefulShutdownLetsInFlightRequestsFinish() async throws {
        let backend = try await TestBackend.start(name: "web.1")
        try await RouterHarness.with { router in
            router.routes.set("bye.localhost", .backends(app: "bye", appID: UUID(), [backend.backend]))
            let client = try await TestClient.connect(port: router.port)
            var parts = client.parts.makeAsyncIterator()
            try await client.get("/wait/last", host: "bye.localhost")
            while backend.requests.isEmpty { try await Task.sleep(for: .milliseconds(20)) }

            await router.group.triggerGracefulShutdown()
            // New connections are refused once the listener is closed.
            var refused = false
            for _ in 0..<100 where !refused {
                if let accepted = try? await TestClient.connect(port: router.port) {
                    await accepted.close()
                    try await Task.sleep(for: .milliseconds(20))
                } else {
                    refused = true
                }
            }
            #expect(refused)

            backend.gates.open("last")
            let response = try await parts.response()
            #expect(response.head.status == .ok)
            #expect(response.head.headers["connection"] == ["close"])
            #expect(await parts.next() == nil, "the connection closes after the last response")
        }
        await backend.stop()
    }
}
