import Foundation
import NIOCore
import OpenrukoCore
import Operations
import Testing
import TestSupport

@testable import Routing

/// Hostile HTTP/2 clients against the router's TLS listener: a stream flood (h2load, more
/// streams than allowed at once), rapid resets, header lists past the limit, streams and
/// header blocks that never finish. Each time the router keeps answering a canary, closes the
/// hostile connections itself, and its sockets (client side and dyno side) return to rest.
@Suite(.serialized, .timeLimit(.minutes(15))) struct RouterHTTP2AttackTests {
    typealias Authority = RouterTLSTests.Authority

    /// Short deadlines, so the router's own timers end what the attacks leave open.
    static func configure(_ configuration: inout RouterConfiguration) {
        configuration.clientIdleTimeout = .seconds(3)
        configuration.requestBodyIdleTimeout = .seconds(2)
        configuration.requestBodyTimeout = .seconds(3)
        configuration.backendIdleTimeout = .seconds(1)
        configuration.maximumConnections = 4000
        // A loaded CI machine answered a flood's requests in up to 13 s: dyno connections and
        // answers get room (the attacks here are the client's).
        configuration.connectTimeout = .seconds(60)
        configuration.responseTimeout = .seconds(120)
    }

    /// A raw HTTP/2 client (frames written by hand, HPACK literals only): `silent` opens COUNT
    /// POST streams that never send their body, `reset` opens and resets COUNT streams as fast
    /// as it can, `continuation` starts a header block and never ends it. Then it reads until
    /// the router closes the connection, and prints `closed` and what it saw.
    static let rawClient = #"""
        import socket, ssl, struct, sys
        port, mode, count = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        context.set_alpn_protocols(["h2"])
        sock = context.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="app.localhost")
        assert sock.selected_alpn_protocol() == "h2", sock.selected_alpn_protocol()
        def frame(kind, flags, stream, payload=b""):
            return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload
        def literal(name, value):
            return b"\x00" + bytes([len(name)]) + name.encode() + bytes([len(value)]) + value.encode()
        def block(method, extra=()):
            fields = [(":method", method), (":scheme", "https"), (":path", "/"), (":authority", "app.localhost")] + list(extra)
            return b"".join(literal(k, v) for k, v in fields)
        sock.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, 0))
        out = []
        if mode == "silent":
            for index in range(count):
                out.append(frame(1, 0x4, 1 + 2 * index, block("POST", [("content-length", "1000")])))
        elif mode == "reset":
            for index in range(count):
                stream = 1 + 2 * index
                out.append(frame(1, 0x5, stream, block("GET")) + frame(3, 0, stream, struct.pack(">I", 8)))
        elif mode == "continuation":
            out.append(frame(1, 0x0, 1, block("GET")[:20]))
        sock.settimeout(120)
        seen = {}
        try:
            for piece in range(0, len(out), 50):
                sock.sendall(b"".join(out[piece:piece + 50]))
            buffer = b""
            while True:
                data = sock.recv(65536)
                if not data:
                    break
                buffer += data
                while len(buffer) >= 9:
                    length = int.from_bytes(buffer[:3], "big")
                    if len(buffer) < 9 + length:
                        break
                    kind, flags = buffer[3], buffer[4]
                    buffer = buffer[9 + length:]
                    name = {0: "data", 1: "headers", 3: "rst", 4: "settings", 6: "ping", 7: "goaway", 8: "window"}.get(kind, str(kind))
                    seen[name] = seen.get(name, 0) + 1
                    if kind == 4 and not flags & 1:
                        sock.sendall(frame(4, 1, 0))
        except (ConnectionResetError, BrokenPipeError, ssl.SSLError):
            pass
        print("closed", sorted(seen.items()))
        """#

    func raw(_ router: RouterHarness, _ mode: String, _ count: Int) async throws -> ProcessResult {
        try await ProcessRunner.run("/usr/bin/env", ["python3", "-c", Self.rawClient, String(router.tlsPort), mode, String(count)])
    }

    /// The router still answers over HTTP/2.
    func canary(_ router: RouterHarness, _ tls: Authority) async throws {
        let answer = try await router.curlTLS("app.localhost", ["/canary"], caFile: tls.caFile, ["--http2", "-i"])
        #expect(answer.stdout.hasPrefix("HTTP/2 200"), "canary: \(answer.stdout)\(answer.stderr)")
    }

    /// Open TCP connections on this machine whose local or remote port is `port`, on the side
    /// that is not `port` itself when `remote` (the router's end of a dyno connection) —
    /// established or half-closed, i.e. still holding a descriptor.
    static func openSockets(localPort: Int? = nil, remotePort: Int? = nil) -> Int {
        var count = 0
        for file in ["/proc/net/tcp", "/proc/net/tcp6"] {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { continue }
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ")
                guard fields.count > 3 else { continue }
                let local = Int(fields[1].split(separator: ":").last ?? "", radix: 16)
                let remote = Int(fields[2].split(separator: ":").last ?? "", radix: 16)
                guard fields[3] == "01" || fields[3] == "08" else { continue }
                if let localPort, local == localPort { count += 1 }
                if let remotePort, remote == remotePort { count += 1 }
            }
        }
        return count
    }

    /// Every client connection of the TLS listener and every dyno connection is closed again.
    func atRest(_ router: RouterHarness, _ backend: TestBackend) async throws {
        for _ in 0..<600 {
            if Self.openSockets(localPort: router.tlsPort) == 0 && Self.openSockets(remotePort: backend.port) == 0 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record(
            "not at rest: \(Self.openSockets(localPort: router.tlsPort)) client sockets, \(Self.openSockets(remotePort: backend.port)) dyno sockets")
    }

    func withRouter(_ body: (RouterHarness, Authority, TestBackend) async throws -> Void) async throws {
        let backend = try await TestBackend.start(name: "web.1")
        let tls = try Authority()
        try await RouterHarness.with(configure: Self.configure, certificates: tls.certificates) { router in
            router.routes.set("app.localhost", .backends(app: "app", appID: UUID(), [backend.backend]))
            try await body(router, tls, backend)
        }
        await backend.stop()
    }

    @Test func aStreamFloodIsServedWithinTheStreamLimit() async throws {
        try await withRouter { router, tls, backend in
            let result = try await ProcessRunner.run(
                "/usr/bin/h2load",
                ["-n", "2000", "-c", "4", "-m", "200", "--connect-to=127.0.0.1:\(router.tlsPort)", "https://app.localhost:\(router.tlsPort)/flood"])
            #expect(result.stdout.contains("2000 succeeded"), "\(result.stdout)\(result.stderr)")
            try await canary(router, tls)
            try await atRest(router, backend)
        }
    }

    @Test func rapidResetsEndTheConnectionNotTheRouter() async throws {
        try await withRouter { router, tls, backend in
            let result = try await raw(router, "reset", 5000)
            #expect(result.stdout.hasPrefix("closed"), "\(result.stdout)\(result.stderr)")
            try await canary(router, tls)
            try await atRest(router, backend)
        }
    }

    @Test func headerListsPastTheLimitAreRefused() async throws {
        try await withRouter { router, tls, backend in
            let big = String(repeating: "b", count: 20_000)
            let huge = try await router.curlTLS("app.localhost", ["/"], caFile: tls.caFile, ["--http2", "-i", "-H", "X-Big: \(big)"])
            #expect(!huge.stdout.hasPrefix("HTTP/2 200"), "\(huge.stdout)")
            let many = (0..<1000).flatMap { ["-H", "X-Many-\($0): \(String(repeating: "m", count: 30))"] }
            let manyAnswer = try await router.curlTLS("app.localhost", ["/"], caFile: tls.caFile, ["--http2", "-i"] + many)
            #expect(!manyAnswer.stdout.hasPrefix("HTTP/2 200"), "\(manyAnswer.stdout)")
            // Below the limit, a large header passes.
            let fits = String(repeating: "f", count: 8_000)
            let fine = try await router.curlTLS("app.localhost", ["/"], caFile: tls.caFile, ["--http2", "-i", "-H", "X-Fits: \(fits)"])
            #expect(fine.stdout.hasPrefix("HTTP/2 200"), "\(fine.stdout)\(fine.stderr)")
            try await canary(router, tls)
            try await atRest(router, backend)
        }
    }

    @Test func streamsThatNeverFinishAreClosedByTheRouter() async throws {
        try await withRouter { router, tls, backend in
            async let silent = raw(router, "silent", 150)
            async let silentToo = raw(router, "silent", 100)
            async let continuation = raw(router, "continuation", 1)
            try await Task.sleep(for: .milliseconds(500))
            try await canary(router, tls)
            for result in try await [silent, silentToo, continuation] {
                #expect(result.stdout.hasPrefix("closed"), "\(result.stdout)\(result.stderr)")
            }
            // The streams' bodies never came: H28 for those the router had sent on.
            let lines = try await router.logs.wait(for: 1)
            #expect(lines.contains { $0.message.contains("code=H28") }, "\(lines.map(\.message))")
            try await canary(router, tls)
            try await atRest(router, backend)
        }
    }
}
