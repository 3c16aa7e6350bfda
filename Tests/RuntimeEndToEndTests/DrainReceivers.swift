import Foundation
import TestSupport

/// Drain endpoints for the end-to-end tests, in Python so they are independent of our code:
/// a TCP syslog collector that parses RFC 6587 octet-counted RFC 5424 frames, and an HTTP
/// server that takes `application/logplex-1` POSTs and parses their frames. Each writes one
/// received message per line to a file, and prints its port when it listens.
final class DrainReceiver: Sendable {
    let process: BackgroundProcess
    let output: String
    let port: Int
    /// The receiver's own output (its port, any traceback).
    let log: String

    static let syslog = #"""
        import socketserver, sys
        out = open(sys.argv[1], "a", buffering=1)
        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                data = b""
                while True:
                    chunk = self.request.recv(65536)
                    if not chunk:
                        return
                    data += chunk
                    while b" " in data:
                        length, rest = data.split(b" ", 1)
                        n = int(length)
                        if len(rest) < n:
                            break
                        message, data = rest[:n].decode(), rest[n:]
                        parts = message.split(" ", 7)
                        assert parts[0].startswith("<") and parts[0].endswith(">1"), message
                        out.write("syslog %s %s %s %s\n" % (parts[2], parts[3], parts[4], parts[7]))
        class Server(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
        server = Server(("127.0.0.1", int(sys.argv[2])), Handler)
        print(server.server_address[1], flush=True)
        server.serve_forever()
        """#

    static let http = DrainReceiverScripts.logplexHTTP

    /// Starts a receiver (`kind`: `syslog` or `http`) on `port` (0: any free port).
    init(_ kind: String, in directory: TemporaryDirectory, port: Int = 0) async throws {
        let name = "\(kind)-\(UUID().uuidString.prefix(6))"
        let script = directory.appending(name + ".py")
        try Data((kind == "syslog" ? Self.syslog : Self.http).utf8).write(to: URL(fileURLWithPath: script))
        output = directory.appending(name + ".received")
        let log = directory.appending(name + ".log")
        self.log = log
        process = try await BackgroundProcess(["/usr/bin/python3", "-u", script, output, String(port)], log: log)
        var found: Int?
        for _ in 0..<200 {
            let text = String(decoding: FileManager.default.contents(atPath: log) ?? Data(), as: UTF8.self)
            if let first = text.split(separator: "\n").first, let number = Int(first) {
                found = number
                break
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        guard let found else { throw TestFailure("the \(kind) receiver did not start") }
        self.port = found
    }

    /// The messages received so far, one per line (`KIND TOKEN SOURCE PROCESS MESSAGE`).
    var received: [String] {
        String(decoding: FileManager.default.contents(atPath: output) ?? Data(), as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// What the receiver printed.
    var diagnostics: String { String(decoding: FileManager.default.contents(atPath: log) ?? Data(), as: UTF8.self) }

    func stop() { process.stop() }
}
