import Foundation
import TestSupport
import Testing

/// The Platform API of a real daemon under malformed requests (issue 21): each one used to keep
/// its descriptor forever once the client had sent bytes the server never read.
@Suite(.timeLimit(.minutes(15))) struct APIMalformedRequestTests {
    @Test func malformedRequestsWithUnreadBodiesDoNotLeakDescriptors() async throws {
        let directory = TemporaryDirectory("openruko-api-malformed")
        try await TestSupport.DaemonProcess.with(dataDir: directory.path) { daemon in
            #expect(try await Self.health(daemon.apiPort))
            let baseline = try Self.openDescriptors(daemon.pid)

            let result = try await ProcessRunner.run(
                "/usr/bin/python3", ["-c", Self.malformedClients, String(daemon.apiPort), "50"])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout == "50 answered 400\n", "\(result.stdout)\(result.stderr)")

            // The server closes each connection on its own; a generous deadline only guards a hang.
            let deadline = Date().addingTimeInterval(30)
            var open = try Self.openDescriptors(daemon.pid)
            while open > baseline + 5 && Date() < deadline {
                try await Task.sleep(for: .milliseconds(100))
                open = try Self.openDescriptors(daemon.pid)
            }
            #expect(open <= baseline + 5, "\(open) descriptors open, \(baseline) before the 50 malformed requests")
            #expect(try await Self.health(daemon.apiPort), "the API still answers")
        }
    }

    /// `GET /health` answers 200.
    static func health(_ port: Int) async throws -> Bool {
        let result = try await ProcessRunner.run(
            "/usr/bin/curl",
            ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", "http://127.0.0.1:\(port)/health"])
        return result.stdout == "200"
    }

    /// The daemon's open file descriptors.
    static func openDescriptors(_ pid: Int32) throws -> Int {
        try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count
    }

    /// argv[2] connections to 127.0.0.1:argv[1], one after another: a head the HTTP parser
    /// rejects (a header line without a colon) followed by 1 MiB of a body it never reads (more
    /// than one read, so it is still arriving after the 400); each client reads the answer until
    /// the server half-closes, then closes its socket.
    static let malformedClients = """
        import socket, sys
        port, count = int(sys.argv[1]), int(sys.argv[2])
        head = b"POST /apps HTTP/1.1\\r\\nHost: api.localhost\\r\\nContent-Length: 1048576\\r\\nNot a header\\r\\n\\r\\n"
        answered = 0
        for _ in range(count):
            s = socket.create_connection(("127.0.0.1", port), timeout=30)
            s.sendall(head + b"x" * 1048576)
            data = b""
            while chunk := s.recv(65536): data += chunk
            if data.startswith(b"HTTP/1.1 400"): answered += 1
            s.close()
        print(f"{answered} answered 400")
        """
}
