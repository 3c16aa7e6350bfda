import Foundation
import NIOCore
import NIOHTTP1
import OpenrukoCore
import Testing
import TestSupport

@testable import Routing

/// Connections that stop making progress once a response has started are cut (issue 21): a
/// dyno silent mid-response (H15, Heroku's 55-second window), a client that never reads a large
/// response, a client that owes body bytes after its answer, a request body that trickles (H28,
/// by its idle window or its total deadline), and Heroku's H12 counted from the end of the
/// request, so a slow upload is not one. The timeouts are shortened; the
/// checks are on what happens, never on how long it took.
@Suite(.timeLimit(.minutes(5))) struct RouterStalledClientTests {
    /// Short, but not so short that a client or dyno of the test's own misses them on a machine
    /// running every other suite (1.5 s did, once, at a load average of 22).
    static func shortTimeouts(_ configuration: inout RouterConfiguration) {
        configuration.responseIdleTimeout = .seconds(4)
        configuration.clientIdleTimeout = .seconds(4)
        configuration.requestBodyIdleTimeout = .seconds(4)
    }

    @Test func aBodyTricklingSlowerThanTheIdleWindowGetsA408AndH28() async throws {
        let backend = try await TestBackend.start(name: "web.1")
        try await RouterHarness.with(configure: Self.shortTimeouts) { router in
            router.routes.set("slow.localhost", .backends(app: "slow", appID: UUID(), [backend.backend]))
            // One byte every 4 s against a 1.5 s body window (Heroku's: a byte every 59 s against 55 s).
            let request = "POST /upload HTTP/1.1\r\nHost: slow.localhost\r\nContent-Length: 1000\r\n\r\n"
            let result = try await ProcessRunner.run("/usr/bin/python3", ["-c", Self.trickler, String(router.port), request, "4"])
            #expect(result.stdout.hasPrefix("HTTP/1.1 408 Request Timeout"), "\(result.stdout) \(result.stderr)")
            #expect(result.stdout.hasSuffix("eof"), "\(result.stdout) \(result.stderr)")
            let lines = try await router.logs.wait(for: 1)
            #expect(lines.contains { $0.message.contains("code=H28") && $0.message.contains("status=408") }, "\(lines.map(\.message))")
        }
        await backend.stop()
    }

    @Test func aBodyTricklingWithinTheIdleWindowEndsAtItsTotalDeadline() async throws {
        let backend = try await TestBackend.start(name: "web.1")
        try await RouterHarness.with(configure: { $0.requestBodyTimeout = .seconds(2) }) { router in
            router.routes.set("slow.localhost", .backends(app: "slow", appID: UUID(), [backend.backend]))
            // A byte every 0.2 s never idles for 55 s, but averages far below 500 bytes a second.
            let request = "POST /upload HTTP/1.1\r\nHost: slow.localhost\r\nContent-Length: 100000\r\n\r\n"
            let result = try await ProcessRunner.run("/usr/bin/python3", ["-c", Self.trickler, String(router.port), request, "0.2"])
            #expect(result.stdout.hasPrefix("HTTP/1.1 408"), "\(result.stdout) \(result.stderr)")
            #expect(result.stdout.hasSuffix("eof"), "\(result.stdout) \(result.stderr)")
        }
        await backend.stop()
    }

    @Test func anUploadLongerThanTheResponseTimeoutIsServedLikeHerokus() async throws {
        // Heroku's 30 s (H12) count from when the whole request reached the dyno.
        let backend = try await TestBackend.start(name: "web.1")
        try await RouterHarness.with(configure: { $0.responseTimeout = .seconds(1) }) { router in
            router.routes.set("up.localhost", .backends(app: "up", appID: UUID(), [backend.backend]))
            let request = "POST /upload HTTP/1.1\r\nHost: up.localhost\r\nContent-Length: 16\r\nConnection: close\r\n\r\n"
            let result = try await ProcessRunner.run("/usr/bin/python3", ["-c", Self.trickler, String(router.port), request, "0.25", "16"])
            #expect(result.stdout.hasPrefix("HTTP/1.1 200"), "\(result.stdout) \(result.stderr)")
        }
        await backend.stop()
    }

    @Test func aDynoSilentMidResponseIsCutWithH15() async throws {
        let backend = try await TestBackend.start(name: "web.1")
        try await RouterHarness.with(configure: Self.shortTimeouts) { router in
            router.routes.set("quiet.localhost", .backends(app: "quiet", appID: UUID(), [backend.backend]))
            let client = try await TestClient.connect(port: router.port)
            var parts = client.parts.makeAsyncIterator()
            try await client.get("/stream", host: "quiet.localhost")
            guard case .head(let head) = try await parts.nextPart() else { throw TestFailure("expected a head") }
            #expect(head.status == .ok)
            guard case .body(let first) = try await parts.nextPart() else { throw TestFailure("expected the first piece") }
            #expect(String(buffer: first) == "first\n")
            // The dyno sends nothing more: the router hangs up instead of waiting for ever (a
            // router that waits fails the suite's time limit).
            var sawEnd = false
            while let part = await parts.next() { if case .end = part { sawEnd = true } }
            #expect(!sawEnd, "the connection closed without the response's end")
            let lines = try await router.logs.wait(for: 1)
            #expect(lines.contains { $0.message.contains("code=H15") && $0.message.contains("desc=\"Idle connection\"") }, "\(lines.map(\.message))")
            await backend.gates.open("stream-second")
            await client.close()
        }
        await backend.stop()
    }

    @Test func aClientThatNeverReadsALargeResponseIsCut() async throws {
        let backend = try await TestBackend.start(name: "web.1")
        try await RouterHarness.with(configure: Self.shortTimeouts) { router in
            router.routes.set("big.localhost", .backends(app: "big", appID: UUID(), [backend.backend]))
            let size = 64 << 20
            let result = try await ProcessRunner.run(
                "/usr/bin/python3", ["-c", Self.stalledReader, String(router.port), "GET /big/\(size) HTTP/1.1\r\nHost: big.localhost\r\n\r\n"])
            let fields = result.stdout.split(separator: " ")
            #expect(fields.first == "eof", "\(result.stdout) \(result.stderr)")
            #expect((fields.last.flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? size) < size / 2)
        }
        await backend.stop()
    }

    @Test func aClientThatOwesBodyBytesAfterItsAnswerIsCut() async throws {
        let backend = try await TestBackend.start(name: "web.1")
        try await RouterHarness.with(configure: Self.shortTimeouts) { router in
            router.routes.set("owed.localhost", .backends(app: "owed", appID: UUID(), [backend.backend]))
            let request = "POST /early HTTP/1.1\r\nHost: owed.localhost\r\nContent-Length: 1000000\r\n\r\nonly ten b"
            let result = try await ProcessRunner.run("/usr/bin/python3", ["-c", Self.owingClient, String(router.port), request])
            #expect(result.stdout.hasPrefix("HTTP/1.1 200"), "\(result.stdout) \(result.stderr)")
            #expect(result.stdout.hasSuffix("eof"), "\(result.stdout) \(result.stderr)")
        }
        await backend.stop()
    }

    /// Sends argv[2] with a tiny receive buffer, reads nothing for 6 s, then reads to the end
    /// (at most 60 s): prints `eof BYTES` when the router closed, `open BYTES` otherwise.
    static let stalledReader = """
        import socket, sys, time
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.connect(("127.0.0.1", int(sys.argv[1])))
        s.sendall(sys.argv[2].encode())
        time.sleep(6)
        s.settimeout(60)
        total = 0
        try:
            while chunk := s.recv(1 << 20): total += len(chunk)
            print("eof", total)
        except socket.timeout:
            print("open", total)
        """

    /// Sends argv[2], then a body byte every argv[3] seconds (argv[4] bytes at most, else until
    /// the router closes, 60 s at most) while reading: prints the answer, then `eof` or `open`.
    static let trickler = """
        import socket, sys, threading, time
        s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=60)
        s.sendall(sys.argv[2].encode())
        limit = int(sys.argv[4]) if len(sys.argv) > 4 else 1 << 30
        def trickle():
            try:
                for _ in range(limit):
                    s.sendall(b"x")
                    time.sleep(float(sys.argv[3]))
            except OSError:
                pass
        threading.Thread(target=trickle, daemon=True).start()
        data = b""
        try:
            while chunk := s.recv(65536): data += chunk
            end = "eof"
        except (socket.timeout, ConnectionResetError):
            end = "open" if not data else "eof"
        sys.stdout.write(data.decode(errors="replace") + end)
        """

    /// Sends argv[2] (a head promising more body than it sends), reads the answer, then waits
    /// (at most 30 s) for the router to close: prints the answer, then `eof` or `open`.
    static let owingClient = """
        import socket, sys
        s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
        s.sendall(sys.argv[2].encode())
        data = b""
        try:
            while chunk := s.recv(65536): data += chunk
            end = "eof"
        except socket.timeout:
            end = "open"
        sys.stdout.write(data.decode(errors="replace") + end)
        """
}

/// The router's connection cap: idle sockets from one address take at most its share; the
/// next connection from it gets a 503, and connections close give their places back.
@Suite(.timeLimit(.minutes(5))) struct RouterConnectionCapTests {
    @Test func aSourceOverItsShareGetsA503AndClosedConnectionsFreeTheirPlaces() async throws {
        let backend = try await TestBackend.start(name: "web.1")
        try await RouterHarness.with(configure: { $0.maximumConnections = 8; $0.maximumConnectionsPerSource = 4 }) { router in
            router.routes.set("cap.localhost", .backends(app: "cap", appID: UUID(), [backend.backend]))
            let result = try await ProcessRunner.run("/usr/bin/python3", ["-c", Self.flood, String(router.port)])
            let lines = result.stdout.split(separator: "\n").map(String.init)
            #expect(lines.count == 3, "\(result.stdout) \(result.stderr)")
            #expect(lines.first?.hasPrefix("HTTP/1.1 503") == true, "the fifth idle socket: \(lines)")
            #expect(lines.dropFirst().first?.hasPrefix("HTTP/1.1 200") == true, "after the idle ones closed: \(lines)")
            #expect(lines.last?.hasPrefix("HTTP/1.1 200") == true, "another address: \(lines)")
        }
        await backend.stop()
    }

    /// Opens 4 idle connections to the router on 127.0.0.1, then prints the status line of a
    /// fifth (a refusal); closes the idle ones and prints a new request's status line; then one
    /// from 127.0.0.2 while 4 idle ones from 127.0.0.1 are open again.
    static let flood = """
        import socket, sys, time
        port = int(sys.argv[1])
        def status(source="127.0.0.1"):
            s = socket.socket()
            s.bind((source, 0))
            s.connect(("127.0.0.1", port))
            s.settimeout(10)
            s.sendall(b"GET / HTTP/1.1\\r\\nHost: cap.localhost\\r\\nConnection: close\\r\\n\\r\\n")
            data = b""
            while chunk := s.recv(65536): data += chunk
            return data.split(b"\\r\\n")[0].decode()
        def idle(n):
            held = [socket.create_connection(("127.0.0.1", port)) for _ in range(n)]
            time.sleep(0.5)
            return held
        held = idle(4)
        print(status())
        for s in held: s.close()
        time.sleep(0.5)
        print(status())
        held = idle(4)
        print(status("127.0.0.2"))
        """
}
