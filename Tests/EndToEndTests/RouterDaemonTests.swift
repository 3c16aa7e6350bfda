import Foundation
import TestSupport
import Testing

/// The router inside the real `openruko daemon`: its listener, the ready line, routes from the
/// store (apps under `--domain` and custom domains), Heroku's pages, a clean stop on SIGTERM.
@Suite(.timeLimit(.minutes(15))) struct RouterDaemonTests {
    @Test func theDaemonRoutesKnownAppsAndCustomDomains() async throws {
        let directory = TemporaryDirectory("openruko-e2e")
        let data = directory.path
        _ = try await OpenrukoBinary.admin(["users:create", "admin@example.com", "--admin"], dataDir: data)
        #expect(try await OpenrukoBinary.admin(["apps:create", "web1"], dataDir: data).status == 0)

        let daemon = try DaemonProcess.start([
            "daemon", "--data-dir", data, "--router-listen", "127.0.0.1:0", "--router-tls-listen", "127.0.0.1:0",
            "--rendezvous-listen", "127.0.0.1:0",
        ])
        let ready = try daemon.waitForLine(prefix: "openruko ready ")
        let router = try #require(ready.split(separator: " ").first { $0.hasPrefix("router=") }?.dropFirst(7))
        let port = try #require(router.split(separator: ":").last.flatMap { Int($0) })
        #expect(FileManager.default.fileExists(atPath: data + "/daemon.json"))

        func curl(_ host: String) async throws -> String {
            let result = try await ProcessRunner.run(
                "/usr/bin/curl", ["-sS", "-i", "--max-time", "10", "--resolve", "\(host):\(port):127.0.0.1", "http://\(host):\(port)/"])
            return result.stdout
        }
        #expect(try await curl("web1.localhost").hasPrefix("HTTP/1.1 503"))
        #expect(try await curl("web1.localhost").contains("Application error"))
        #expect(try await curl("nope.localhost").hasPrefix("HTTP/1.1 404"))

        // A custom domain added while the daemon runs is routed within a moment.
        #expect(try await OpenrukoBinary.admin(["domains:add", "web1", "www.shop.test"], dataDir: data).status == 0)
        var custom = ""
        for _ in 0..<50 {
            custom = try await curl("www.shop.test")
            if custom.hasPrefix("HTTP/1.1 503") { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(custom.hasPrefix("HTTP/1.1 503"), "\(custom)")

        // A second daemon cannot take the same port: it says so and exits instead of hanging.
        let other = TemporaryDirectory("openruko-e2e")
        let clash = try await ProcessRunner.run(
            OpenrukoBinary.path, [
                "daemon", "--data-dir", other.path, "--router-listen", "127.0.0.1:\(port)", "--api-listen", "127.0.0.1:0",
                "--ssh-listen", "127.0.0.1:0", "--router-tls-listen", "127.0.0.1:0", "--rendezvous-listen", "127.0.0.1:0",
            ])
        #expect(clash.status != 0)
        #expect(clash.stderr.contains("The router cannot listen on 127.0.0.1:\(port)"), "\(clash.stderr)")
        #expect(!clash.stderr.contains("Usage:"), "a daemon that cannot start says why, without the usage")

        let status = daemon.terminate()
        #expect(status == 0)
        #expect(!FileManager.default.fileExists(atPath: data + "/daemon.json"))
    }
}

/// `openruko daemon` as a background subprocess whose stdout is read line by line.
final class DaemonProcess: @unchecked Sendable {
    // @unchecked: `lines` is only touched while holding `lock`; `process` is used from the test.
    private let process = Process()
    private let lock = NSCondition()
    private var lines: [String] = []

    static func start(_ arguments: [String]) throws -> DaemonProcess {
        let daemon = DaemonProcess()
        let output = Pipe()
        daemon.process.executableURL = URL(fileURLWithPath: OpenrukoBinary.path)
        daemon.process.arguments = arguments
        daemon.process.standardOutput = output
        daemon.process.standardError = FileHandle.standardError
        try daemon.process.run()
        Thread {
            var pending = Data()
            while case let chunk = output.fileHandleForReading.availableData, !chunk.isEmpty {
                pending.append(chunk)
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = String(decoding: pending[..<newline], as: UTF8.self)
                    pending.removeSubrange(...newline)
                    daemon.lock.withLock {
                        daemon.lines.append(line)
                        daemon.lock.broadcast()
                    }
                }
            }
        }.start()
        return daemon
    }

    /// The first stdout line starting with `prefix` (waits up to 30 s).
    func waitForLine(prefix: String) throws -> String {
        let deadline = Date().addingTimeInterval(30)
        return try lock.withLock {
            while true {
                if let line = lines.first(where: { $0.hasPrefix(prefix) }) { return line }
                guard process.isRunning, lock.wait(until: deadline) else {
                    throw DaemonFailure("no line starting with \(prefix.debugDescription); got \(lines)")
                }
            }
        }
    }

    /// Sends SIGTERM and waits for the exit status.
    func terminate() -> Int32 {
        process.terminate()
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit {
        if process.isRunning { process.terminate() }
    }
}

struct DaemonFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
