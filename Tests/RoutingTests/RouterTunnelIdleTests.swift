import Foundation
import NIOCore
import OpenrukoCore
import Testing
import TestSupport

@testable import Routing

/// An upgraded connection (a WebSocket) with no byte either way for `tunnelIdleTimeout` is
/// closed, both ends (Heroku's 55 s); one that keeps talking stays open past it. The timeout is
/// shortened; the checks are on what happens, never on how long it took.
@Suite(.timeLimit(.minutes(5))) struct RouterTunnelIdleTests {
    @Test func anIdleWebSocketIsClosedAndABusyOneIsNot() async throws {
        let backend = try await TestBackend.start(name: "web.1")
        try await RouterHarness.with(configure: { $0.tunnelIdleTimeout = .seconds(3) }) { router in
            router.routes.set("ws.localhost", .backends(app: "ws", appID: UUID(), [backend.backend]))
            let result = try await ProcessRunner.run("/usr/bin/python3", ["-c", Self.client, String(router.port)])
            // A ping every 0.3 s for 9 s (three idle windows) all answered; then, silent, closed.
            #expect(result.stdout == "upgraded\npongs 30\neof\n", "\(result.stdout) \(result.stderr)")
            let lines = try await router.logs.wait(for: 1)
            #expect(lines[0].message.contains(" status=101 "), "\(lines.map(\.message))")
        }
        await backend.stop()
    }

    /// Upgrades a raw socket to a WebSocket, sends 30 masked pings 0.3 s apart and counts the
    /// pongs, then says nothing and waits (at most 60 s) for the router to close.
    static let client = """
        import socket, sys, time
        s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=60)
        s.sendall(b"GET /ws HTTP/1.1\\r\\nHost: ws.localhost\\r\\nConnection: Upgrade\\r\\nUpgrade: websocket\\r\\n"
                  b"Sec-WebSocket-Version: 13\\r\\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\\r\\n\\r\\n")
        data = b""
        while b"\\r\\n\\r\\n" not in data: data += s.recv(4096)
        print("upgraded" if data.startswith(b"HTTP/1.1 101") else data.decode(errors="replace"))
        rest = data.split(b"\\r\\n\\r\\n", 1)[1]
        pongs = 0
        for _ in range(30):
            s.sendall(b"\\x89\\x80\\x01\\x02\\x03\\x04")  # a ping, masked, no payload
            while len(rest) < 2:
                chunk = s.recv(4096)
                if not chunk: sys.exit("closed while in use")
                rest += chunk
            if rest[0] == 0x8A: pongs += 1
            rest = rest[2 + rest[1]:]
            time.sleep(0.3)
        print("pongs", pongs)
        try:
            print("eof" if s.recv(4096) == b"" else "data")
        except socket.timeout:
            print("open")
        except ConnectionResetError:
            print("eof")
        """
}
