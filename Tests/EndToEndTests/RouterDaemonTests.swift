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

        let daemon = try await DaemonProcess.start(dataDir: data)
        #expect(daemon.readyLine.contains(" router=127.0.0.1:\(daemon.routerPort)"), "\(daemon.readyLine)")
        let port = daemon.routerPort
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

        let status = await daemon.stop()
        #expect(status == 0)
        #expect(!FileManager.default.fileExists(atPath: data + "/daemon.json"))
    }
}
