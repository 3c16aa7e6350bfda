import Foundation
import NIOCore
import NIOHTTP1
import OpenrukoCore
import TestSupport
import Testing

@testable import Routing

/// The router as a reverse proxy, end to end over real sockets: curl (and SwiftNIO's client
/// codec where timing matters) in front, real HTTP servers behind.
@Suite(.timeLimit(.minutes(15))) struct RouterProxyTests {
    static let appID = UUID()

    func decode(_ text: String) throws -> Echo {
        try JSONDecoder().decode(Echo.self, from: Data(text.utf8))
    }

    /// Decodes curl's output of several JSON bodies, one a line (`-w "\n"`).
    func decodeAll(_ text: String) throws -> [Echo] {
        try text.split(separator: "\n").map { try decode(String($0)) }
    }

    @Test func hostsAndCustomDomainsReachTheirApps() async throws {
        let one = try await TestBackend.start(name: "web.1")
        let two = try await TestBackend.start(name: "web.1")
        try await RouterHarness.with { router in
            router.routes.set("app1.localhost", .backends(app: "app1", appID: UUID(), [one.backend]))
            router.routes.set("www.example.com", .backends(app: "app2", appID: UUID(), [two.backend]))

            let plain = try await router.curl("app1.localhost", ["/hello"])
            #expect(plain.status == 0, "\(plain.stderr)")
            #expect(try decode(plain.stdout).path == "/hello")
            #expect(one.requests.count == 1)

            // Host header matching ignores case and the port.
            let shouted = try await router.curl("APP1.LocalHost", ["/"])
            #expect(try decode(shouted.stdout).headers["host"] == "APP1.LocalHost:\(router.port)")
            #expect(one.requests.count == 2)

            let custom = try await router.curl("www.example.com", ["/custom"])
            #expect(try decode(custom.stdout).path == "/custom")
            #expect(two.requests.count == 1)

            let unknown = try await router.curl("nope.localhost", ["/"], ["-i"])
            #expect(unknown.stdout.hasPrefix("HTTP/1.1 404"))
            #expect(unknown.stdout.contains("There is no app configured at that hostname"))
            #expect(one.requests.count == 2 && two.requests.count == 1)
        }
        await one.stop()
        await two.stop()
    }

    @Test func requestsTakeTurnsAcrossThreeDynos() async throws {
        var backends: [TestBackend] = []
        for n in 1...3 { backends.append(try await TestBackend.start(name: "web.\(n)")) }
        try await RouterHarness.with { router in
            router.routes.set("rr.localhost", .backends(app: "rr", appID: UUID(), backends.map(\.backend)))
            let result = try await router.curl("rr.localhost", Array(repeating: "/", count: 9), ["-w", "\n"])
            let served = try decodeAll(result.stdout).map(\.backend)
            #expect(served.count == 9)
            #expect(Set(served.prefix(3)) == ["web.1", "web.2", "web.3"])
            for index in 3..<9 { #expect(served[index] == served[index - 3], "\(served)") }
            for backend in backends { #expect(backend.requests.count == 3) }
        }
        for backend in backends { await backend.stop() }
    }

    @Test func connectionsAreKeptAliveOnBothSides() async throws {
        let backend = try await TestBackend.start(name: "web.1")
        // One event loop: dyno connections are pooled per loop, so every client shares this pool.
        // The pooled connection outlives any pause of a loaded machine (a CI run paused over 20 s,
        // the default idle timeout, between the two clients).
        try await RouterHarness.with(configure: { $0.threads = 1; $0.backendIdleTimeout = .seconds(600) }) { router in
            router.routes.set("ka.localhost", .backends(app: "ka", appID: UUID(), [backend.backend]))

            // curl: five requests on one client connection.
            let result = try await router.curl("ka.localhost", Array(repeating: "/", count: 5), ["-v", "-w", "\n"])
            #expect(result.stderr.components(separatedBy: "Re-using existing connection").count - 1 == 4, "\(result.stderr)")
            #expect(try decodeAll(result.stdout).count == 5)
            #expect(backend.connections == 1)

            // Another client connection reuses the pooled dyno connection.
            let client = try await TestClient.connect(port: router.port)
            var responses = client.parts.makeAsyncIterator()
            for _ in 0..<3 {
                try await client.get("/", host: "ka.localhost")
                let response = try await responses.response()
                #expect(response.head.status == .ok)
                #expect(try decode(response.body).connection == 1)
            }
            await client.close()
            #expect(backend.connections == 1)
            #expect(backend.requests.count == 8)
        }
        await backend.stop()
    }

    @Test func forwardedHeadersRequestIDAndVia() async throws {
        let backend = try await TestBackend.start(name: "web.1")
        try await RouterHarness.with { router in
            router.routes.set("hdr.localhost", .backends(app: "hdr", appID: UUID(), [backend.backend]))
            let kept = "a-client-chosen-request-id-42"
            let result = try await router.curl(
                "hdr.localhost", ["/"], ["-i", "-H", "X-Forwarded-For: 203.0.113.7", "-H", "X-Request-Id: \(kept)"])
            let body = String(result.stdout[result.stdout.range(of: "{")!.lowerBound...])
            let seen = try decode(body).headers
            #expect(seen["x-forwarded-for"] == "203.0.113.7, 127.0.0.1")
            #expect(seen["x-forwarded-proto"] == "http")
            #expect(seen["x-forwarded-port"] == String(router.port))
            #expect(seen["x-request-id"] == kept)
            #expect(seen["via"] == "1.1 openruko")
            #expect(seen["x-request-start"].flatMap { Int64($0) } != nil)
            #expect(result.stdout.lowercased().contains("via: 1.1 openruko"))

            let generated = try decode(try await router.curl("hdr.localhost").stdout).headers
            #expect(generated["x-forwarded-for"] == "127.0.0.1")
            let id = try #require(generated["x-request-id"])
            #expect(UUID(uuidString: id) != nil)
            let replaced = try decode(try await router.curl("hdr.localhost", ["/"], ["-H", "X-Request-Id: short"]).stdout)
            #expect(replaced.headers["x-request-id"] != "short")

            let lines = try await router.logs.wait(for: 3)
            #expect(lines[0].message.contains("request_id=\(kept) "))
            #expect(lines[0].message.contains(#"fwd="203.0.113.7, 127.0.0.1""#))
            #expect(lines[1].message.contains("request_id=\(id) "))
        }
        await backend.stop()
    }

    @Test func oneRouterLinePerRequestInHerokusShape() async throws {
        let backend = try await TestBackend.start(name: "web.1")
        let appID = UUID()
        try await RouterHarness.with { router in
            router.routes.set("log.localhost", .backends(app: "log", appID: appID, [backend.backend]))
            let result = try await router.curl("log.localhost", ["/hello?x=1"], ["-o", "/dev/null", "-w", "%{size_download}"])
            #expect(result.status == 0)
            #expect(try await router.curl("log.localhost", ["/big/1000"]).status == 0)
            let lines = try await router.logs.wait(for: 2)
            try await Task.sleep(for: .milliseconds(100))
            #expect(router.logs.all.count == 2)
            for line in lines {
                #expect(line.appID == appID)
                #expect(line.source == "heroku")
                #expect(line.process == "router")
            }
            let pattern =
                /at=info method=GET path="\/hello\?x=1" host=log\.localhost request_id=[0-9a-f-]{36} fwd="127\.0\.0\.1" dyno=web\.1 connect=\d+ms service=\d+ms status=200 bytes=(\d+) protocol=http/
            let match = try #require(lines[0].message.wholeMatch(of: pattern), "\(lines[0].message)")
            #expect(String(match.1) == result.stdout)
            #expect(lines[1].message.contains(#"path="/big/1000""#))
            #expect(lines[1].message.contains(" bytes=1000 "))
            #expect(lines[1].formatted.contains(" heroku[router]: at=info "))
        }
        await backend.stop()
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        let backend = try await TestBackend.start(name: "web.1")
        try await RouterHarness.with { router in
            router.routes.set("pipe.localhost", .backends(app: "pipe", appID: UUID(), [backend.backend]))
            // Three requests in one write, the middle one with a body; the answers come back in order.
            let script = """
                import socket, sys
                s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
                s.sendall(b"GET /one HTTP/1.1\\r\\nHost: pipe.localhost\\r\\n\\r\\n"
                          b"POST /two HTTP/1.1\\r\\nHost: pipe.localhost\\r\\nContent-Length: 3\\r\\n\\r\\nabc"
                          b"GET /three HTTP/1.1\\r\\nHost: pipe.localhost\\r\\nConnection: close\\r\\n\\r\\n")
                data = b""
                while True:
                    chunk = s.recv(65536)
                    if not chunk: break
                    data += chunk
                for path in [b"/one", b"/two", b"/three"]:
                    print(data.index(b'"path":"\\\\' + path + b'"') if b'"path":"\\\\' + path + b'"' in data else -1)
                print(data.count(b"HTTP/1.1 200 OK"))
                """
            let result = try await ProcessRunner.run("/usr/bin/env", ["python3", "-c", script, String(router.port)])
            let lines = result.stdout.split(separator: "\n").compactMap { Int($0) }
            #expect(lines.count == 4, "\(result.stdout)\(result.stderr)")
            #expect(lines.prefix(3).allSatisfy { $0 >= 0 } && lines[0] < lines[1] && lines[1] < lines[2], "\(lines)")
            #expect(lines.last == 3)
            #expect(backend.requests.map(\.uri) == ["/one", "/two", "/three"])
        }
        await backend.stop()
    }

    @Test func headAndPostRequestsKeepTheirSemantics() async throws {
        let backend = try await TestBackend.start(name: "web.1")
        try await RouterHarness.with { router in
            router.routes.set("m.localhost", .backends(app: "m", appID: UUID(), [backend.backend]))
            let head = try await router.curl("m.localhost", ["/", "/"], ["-I"])
            #expect(head.stdout.components(separatedBy: "HTTP/1.1 200 OK").count - 1 == 2, "\(head.stdout)")
            let post = try await router.curl("m.localhost", ["/form"], ["--data-binary", "a=1&b=2"])
            let echo = try decode(post.stdout)
            #expect(echo.method == "POST")
            #expect(echo.bodyBytes == 7)
            #expect(echo.headers["content-length"] == "7")
            let http10 = try await router.curl("m.localhost", ["/big/70000"], ["--http1.0", "-o", "/dev/null", "-w", "%{size_download}"])
            #expect(http10.stdout == "70000")
        }
        await backend.stop()
    }
}
