import Foundation
import OpenrukoCore
import TestSupport
import Testing

@testable import Routing

/// A dyno that answers with a `Content-Length` and hangs up: `Connection: close` in one write
/// (busybox httpd), or HTTP/1.0 with the body written after the head (Python's `http.server`).
/// Each response reaches a kept-alive client whole and at once, not at its next request.
@Suite(.timeLimit(.minutes(15))) struct RouterClosingBackendTests {
    @Test(arguments: [false, true])
    func closingResponsesWithALengthAreFlushedAtOnce(http10WithSeparateBody: Bool) async throws {
        let directory = TemporaryDirectory("openruko-closing-backend")
        let portFile = directory.appending("port")
        let server = try await BackgroundProcess([
            "/usr/bin/python3", "-c",
            """
            import socket, sys, time
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
                if sys.argv[2] == "split":
                    c.sendall(b"HTTP/1.0 200 OK\\r\\nContent-Length: 3\\r\\n\\r\\n"); time.sleep(0.05); c.sendall(b"ok\\n")
                else:
                    c.sendall(b"HTTP/1.1 200 OK\\r\\nConnection: close\\r\\nContent-Length: 3\\r\\n\\r\\nok\\n")
                c.close()
            """,
            portFile, http10WithSeparateBody ? "split" : "whole",
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
