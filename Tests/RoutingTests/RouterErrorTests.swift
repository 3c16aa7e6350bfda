import Foundation
import NIOCore
import OpenrukoCore
import TestSupport
import Testing

@testable import Routing

/// The router's own answers, with Heroku's codes, pages and log lines.
@Suite(.timeLimit(.minutes(15))) struct RouterErrorTests {
    func errorLine(_ code: String, _ desc: String) -> Regex<Substring> {
        try! Regex(
            #"at=error code=\#(code) desc="\#(desc)" method=GET path="/[^"]*" host=[a-z0-9.]+ request_id=[0-9a-f-]{36} fwd="127\.0\.0\.1" "#
        )
    }

    @Test func noDynosCrashedDynosAndUnknownHosts() async throws {
        let appID = UUID()
        try await RouterHarness.with { router in
            router.routes.set("idle.localhost", .noWebDynos(app: "idle", appID: appID))
            router.routes.set("dead.localhost", .crashed(app: "dead", appID: appID))

            let idle = try await router.curl("idle.localhost", ["/", "/again"], ["-i"])
            #expect(idle.stdout.components(separatedBy: "HTTP/1.1 503 Service Unavailable").count - 1 == 2)
            #expect(idle.stdout.contains("<title>Application Error</title>"))
            let dead = try await router.curl("dead.localhost", ["/"], ["-i"])
            #expect(dead.stdout.hasPrefix("HTTP/1.1 503"))
            let unknown = try await router.curl("nobody.localhost", ["/"], ["-i"])
            #expect(unknown.stdout.hasPrefix("HTTP/1.1 404"))
            #expect(unknown.stdout.contains("<title>No such app</title>"))

            let lines = try await router.logs.wait(for: 3)
            try await Task.sleep(for: .milliseconds(100))
            #expect(router.logs.all.count == 3, "the unknown host is logged nowhere")
            #expect(lines[0].message.contains(errorLine("H14", "No web processes running")))
            #expect(lines[0].message.hasSuffix(" dyno= connect= service= status=503 bytes= protocol=http"))
            #expect(lines[1].message.contains(#"path="/again""#))
            #expect(lines[2].message.contains(errorLine("H10", "App crashed")))
            #expect(lines.allSatisfy { $0.appID == appID && $0.source == "heroku" && $0.process == "router" })
        }
    }

    @Test func maintenanceModeServesTheMaintenancePageAndLogsH80AtInfo() async throws {
        let appID = UUID()
        try await RouterHarness.with { router in
            router.routes.set("resting.localhost", .maintenance(app: "resting", appID: appID))
            let answer = try await router.curl("resting.localhost", ["/"], ["-i"])
            #expect(answer.stdout.hasPrefix("HTTP/1.1 503 Service Unavailable"))
            #expect(answer.stdout.contains("<title>Offline for Maintenance</title>"))
            let lines = try await router.logs.wait(for: 1)
            #expect(lines[0].message.hasPrefix(#"at=info code=H80 desc="Maintenance mode" method=GET path="/" host=resting.localhost "#))
            #expect(lines[0].message.hasSuffix(" dyno= connect= service= status=503 bytes= protocol=http"))
            #expect(lines[0].appID == appID)
        }
    }

    @Test func unreadableRequestsAreRefusedAndNeverReachADyno() async throws {
        let backend = try await TestBackend.start(name: "web.1")
        try await RouterHarness.with { router in
            router.routes.set("strict.localhost", .backends(app: "strict", appID: UUID(), [backend.backend]))
            let script = """
                import socket, sys
                for raw in [b"POST / HTTP/1.1\\r\\nHost: strict.localhost\\r\\nContent-Length: 4\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n0\\r\\n\\r\\n",
                            b"GET / HTTP/1.1\\r\\nHost: strict.localhost\\r\\n folded\\r\\n\\r\\n",
                            b"GET / HTTP/3.0\\r\\nHost: strict.localhost\\r\\n\\r\\n",
                            b"GET / HTTP/1.1\\r\\nHost: strict.localhost\\r\\nX: " + b"a" * 70000 + b"\\r\\n\\r\\n"]:
                    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
                    try:
                        s.sendall(raw)
                    except OSError:
                        pass
                    data = b""
                    while True:
                        try:
                            chunk = s.recv(65536)
                        except OSError:
                            break
                        if not chunk: break
                        data += chunk
                    print(data.split(b"\\r\\n")[0].decode())
                """
            let result = try await ProcessRunner.run("/usr/bin/env", ["python3", "-c", script, String(router.port)])
            #expect(
                result.stdout
                    == "HTTP/1.1 400 Bad Request\nHTTP/1.1 400 Bad Request\nHTTP/1.1 505 HTTP Version Not Supported\nHTTP/1.1 431 Request Header Fields Too Large\n",
                "\(result.stdout)\(result.stderr)")
            #expect(backend.requests.isEmpty)
        }
        await backend.stop()
    }

    @Test func aSilentDynoTimesOutWithH12() async throws {
        let backend = try await TestBackend.start(name: "web.1")
        try await RouterHarness.with(configure: { $0.responseTimeout = .seconds(5) }) { router in
            // Long enough that `/after` answers in time on a loaded machine (1.5 s was not, once).
            router.routes.set("slow.localhost", .backends(app: "slow", appID: UUID(), [backend.backend]))
            // The timed-out request is answered; the next one on the same connection still works.
            let result = try await router.curl("slow.localhost", ["/hang", "/after"], ["-i", "-v"])
            #expect(result.stdout.hasPrefix("HTTP/1.1 503"), "\(result.stdout)")
            #expect(result.stdout.contains("HTTP/1.1 200 OK"))
            #expect(result.stderr.contains("Re-using existing connection"))
            let lines = try await router.logs.wait(for: 2)
            #expect(lines[0].message.contains(errorLine("H12", "Request timeout")))
            let timing = try #require(lines[0].message.firstMatch(of: #/dyno=web\.1 connect=\d+ms service=(\d+)ms status=503 bytes=0 /#))
            #expect(Int(timing.1)! >= 5000)
            #expect(lines[1].message.hasPrefix("at=info method=GET path=\"/after\""))
        }
        await backend.stop()
    }

    @Test func aDynoHangingUpWithoutAnswerIsH13() async throws {
        let backend = try await TestBackend.start(name: "web.1")
        try await RouterHarness.with { router in
            router.routes.set("rude.localhost", .backends(app: "rude", appID: UUID(), [backend.backend]))
            let result = try await router.curl("rude.localhost", ["/close"], ["-i"])
            #expect(result.stdout.hasPrefix("HTTP/1.1 503"))
            let lines = try await router.logs.wait(for: 1)
            #expect(lines[0].message.contains(errorLine("H13", "Connection closed without response")))
            #expect(lines[0].message.contains(" dyno=web.1 "))
        }
        await backend.stop()
    }

    @Test func aRefusedConnectionTriesTheNextDynoThenFailsWithH21() async throws {
        let backend = try await TestBackend.start(name: "web.2")
        let gone = try await TestBackend.start(name: "web.1")
        let goneBackend = gone.backend
        await gone.stop()
        try await RouterHarness.with { router in
            router.routes.set("half.localhost", .backends(app: "half", appID: UUID(), [goneBackend, backend.backend]))
            for _ in 0..<4 {
                let result = try await router.curl("half.localhost", ["/"], ["-o", "/dev/null", "-w", "%{http_code}"])
                #expect(result.stdout == "200")
            }
            router.routes.set("down.localhost", .backends(app: "down", appID: UUID(), [goneBackend]))
            let down = try await router.curl("down.localhost", ["/"], ["-i"])
            #expect(down.stdout.hasPrefix("HTTP/1.1 503"))
            let lines = try await router.logs.wait(for: 5)
            #expect(lines[4].message.contains(errorLine("H21", "Backend connection refused")))
        }
        await backend.stop()
    }

    @Test func aRequestBodyWithBrokenChunkedFramingEndsItsExchangeAsH27() async throws {
        let backend = try await TestBackend.start(name: "web.1")
        try await RouterHarness.with { router in
            router.routes.set("broken.localhost", .backends(app: "broken", appID: UUID(), [backend.backend]))
            // One good chunk, then a size line that is no hex number.
            let request =
                "POST /upload HTTP/1.1\r\nHost: broken.localhost\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nzz\r\n"
            let result = try await ProcessRunner.run(
                "/usr/bin/python3", ["-c", RouterStalledClientTests.trickler, String(router.port), request, "0.1", "0"])
            #expect(result.stdout == "eof", "closed without an answer: \(result.stdout) \(result.stderr)")
            let lines = try await router.logs.wait(for: 1)
            #expect(lines[0].message.contains("code=H27") && lines[0].message.contains("method=POST"), "\(lines.map(\.message))")
            #expect(router.router.drain.count(backend.backend) == 0, "the request no longer counts as in flight")
        }
        await backend.stop()
    }

    @Test func requestsWaitForBootingDynosThenGiveUpWithH20() async throws {
        let backend = try await TestBackend.start(name: "web.1")
        let appID = UUID()
        try await RouterHarness.with(configure: { $0.bootWait = .seconds(20) }) { router in
            router.routes.set("boot.localhost", .starting(app: "boot", appID: appID))
            async let waiting = router.curl("boot.localhost", ["/first"])
            // The dyno comes up while the request waits.
            while backend.requests.isEmpty && router.logs.all.isEmpty {
                try await Task.sleep(for: .milliseconds(150))
                router.routes.set("boot.localhost", .backends(app: "boot", appID: appID, [backend.backend]))
            }
            let result = try await waiting
            #expect(try JSONDecoder().decode(Echo.self, from: Data(result.stdout.utf8)).path == "/first")
        }
        try await RouterHarness.with(configure: { $0.bootWait = .milliseconds(300) }) { router in
            router.routes.set("never.localhost", .starting(app: "never", appID: appID))
            let result = try await router.curl("never.localhost", ["/"], ["-i"])
            #expect(result.stdout.hasPrefix("HTTP/1.1 503"))
            let lines = try await router.logs.wait(for: 1)
            #expect(lines[0].message.contains(errorLine("H20", "App boot timeout")))
        }
        await backend.stop()
    }

    @Test func oneAppKeepsServingWhileAnothersDynoHangs() async throws {
        let healthy = try await TestBackend.start(name: "web.1")
        let stuck = try await TestBackend.start(name: "web.1")
        // The stuck request must outlast the twenty others, however slowly a loaded machine runs
        // them (at Heroku's 30 s it once met its H12 first).
        try await RouterHarness.with(configure: { $0.responseTimeout = .seconds(600) }) { router in
            router.routes.set("ok.localhost", .backends(app: "ok", appID: UUID(), [healthy.backend]))
            router.routes.set("stuck.localhost", .backends(app: "stuck", appID: UUID(), [stuck.backend]))
            // Its curl waits as long too (a CI run's twenty curls once took over curl's usual 30 s).
            async let hanging = router.curl("stuck.localhost", ["/wait/release"], ["--max-time", "600", "-o", "/dev/null", "-w", "%{http_code}"])
            while stuck.requests.isEmpty { try await Task.sleep(for: .milliseconds(20)) }
            for _ in 0..<20 {
                let result = try await router.curl("ok.localhost", ["/"], ["-o", "/dev/null", "-w", "%{http_code}"])
                #expect(result.stdout == "200")
            }
            #expect(healthy.requests.count == 20)
            #expect(router.logs.all.count == 20, "the stuck request is still in flight")
            stuck.gates.open("release")
            #expect(try await hanging.stdout == "200")
        }
        await healthy.stop()
        await stuck.stop()
    }
}
