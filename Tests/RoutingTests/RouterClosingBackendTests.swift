import Foundation
import OpenrukoCore
import TestSupport
import Testing

@testable import Routing

/// A dyno that answers `Connection: close` with a `Content-Length` and hangs up at once (busybox
/// httpd does): each response reaches a kept-alive client at once, not at its next request.
@Suite struct RouterClosingBackendTests {
    @Test func closingResponsesWithALengthAreFlushedAtOnce() async throws {
        let directory = TemporaryDirectory("openruko-closing-backend")
        let portFile = directory.appending("port")
        let server = try await BackgroundProcess([
            "/usr/bin/python3", "-c",
            """
            import socket, sys
            s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", 0)); s.listen(16)
            open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
            import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
            while True:
                c, _ = s.accept()
                data = b""
                while b"\\r\\n\\r\\n" not in data:
                    chunk = c.recv(4096)
                    if not chunk: break
                    data += chunk
                c.sendall(b"HTTP/1.1 200 OK\\r\\nConnection: close\\r\\nContent-Length: 3\\r\\n\\r\\nok\\n")
                c.close()
            """,
            portFile,
        ])
        defer { server.stop() }
        var port: Int?
        for _ in 0..<100 where port == nil {
            port = (try? String(contentsOfFile: portFile, encoding: .utf8)).flatMap { Int($0) }
            if port == nil { try await Task.sleep(for: .milliseconds(50)) }
        }
        let backend = Backend(id: UUID(), dyno: "web.1", host: "127.0.0.1", port: try #require(port))
        try await RouterHarness.with { router in
            router.routes.set("closing.localhost", .backends(app: "closing", appID: UUID(), [backend]))
            // One client connection, three requests: each answer must come without waiting.
            let result = try await router.curl("closing.localhost", ["/a", "/b", "/c"], ["--max-time", "5"])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout == "ok\nok\nok\n")
        }
    }
}
