import Foundation

/// Python's static file server on a port the kernel chose (no port picked at random that
/// something else may hold), started and listening: a host service for tests of what a dyno
/// or a build may reach.
package struct LoopbackHTTPServer: Sendable {
    package let port: Int
    private let process: BackgroundProcess

    /// Serves `directory` on `address` (`127.0.0.1`, or `0.0.0.0` for every address).
    package static func start(address: String = "127.0.0.1", directory: String = "/usr/share/doc") async throws -> LoopbackHTTPServer {
        let log = NSTemporaryDirectory() + "/openruko-http-\(UUID().uuidString).log"
        defer { try? FileManager.default.removeItem(atPath: log) }
        let script = """
            import functools, http.server, sys
            handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[2])
            server = http.server.ThreadingHTTPServer((sys.argv[1], 0), handler)
            print(server.server_address[1], flush=True)
            server.serve_forever()
            """
        let process = try await BackgroundProcess(["/usr/bin/python3", "-c", script, address, directory], log: log)
        for _ in 0..<200 {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first, let port = Int(line) { return LoopbackHTTPServer(port: port, process: process) }
            try await Task.sleep(for: .milliseconds(50))
        }
        process.stop()
        throw TestFailure("the test HTTP server did not start on \(address)")
    }

    package func stop() { process.stop() }
}
