import Foundation
import Testing
import TestSupport

extension RuntimeEndToEnd {
    /// Automatic certificates (`certs:auto:enable`) against Debian's pebble, a real ACME server
    /// validating HTTP-01 for real through the router's plain listener: a custom domain gets a
    /// certificate served by SNI and renewed before expiry; a domain that does not point at us
    /// fails with pebble's reason and stores nothing; unknown challenge paths still reach the
    /// app; a hostile ACME server (an endless answer, no answer) costs a bounded wait and
    /// bounded memory.
    @Suite(.timeLimit(.minutes(15))) struct AutomaticCertificateTests {
        @Test func pebbleIssuesRenewsAndRefusesCertificatesForCustomDomains() async throws {
            let work = TemporaryDirectory("openruko-acme")
            let pebble = try await PebbleServer.prepare(in: work.appending("pebble"))
            defer { pebble.stop() }
            // pebble issues for an hour; renewal 3590 s before expiry: the first renewal ~10 s after issue.
            let fixture = try await RuntimeFixture.start(environment: [
                "OPENRUKO_ACME_DIRECTORY": pebble.directoryURL, "OPENRUKO_ACME_CA": pebble.caFile, "OPENRUKO_ACME_INTERVAL": "0.5",
                "OPENRUKO_ACME_RENEW_BEFORE": "3590",
            ])
            defer { Task { await fixture.daemon.stop() } }
            let routerPort = try #require(fixture.daemon.ready["router"].flatMap { $0.split(separator: ":").last }.flatMap { Int($0) })
            let httpsPort = try #require(fixture.daemon.ready["https"].flatMap { $0.split(separator: ":").last }.flatMap { Int($0) })
            try await pebble.start(httpPort: routerPort, validity: 3600)
            try await fixture.deploy("shop", TestApp.files())
            try await fixture.admin(["domains:add", "shop", "www.shop.test"])
            try await fixture.admin(["domains:add", "shop", "bad.shop.test"])
            try await pebble.point("bad.shop.test", at: "127.0.0.2")  // not our router
            #expect(try await fixture.admin(["certs:auto", "shop"]).stdout.contains("Automatic Certificate Management is disabled on shop"))

            let enabled = try await fixture.admin(["certs:auto:enable", "shop"])
            #expect(enabled.stdout.contains("Enabling Automatic Certificate Management... done"))
            func states() async throws -> [String: [String: Any]] {
                let result = try await fixture.admin(["certs:auto", "shop", "--json"])
                let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
                let domains = object?["domains"] as? [[String: Any]] ?? []
                return Dictionary(uniqueKeysWithValues: domains.map { (($0["hostname"] as? String) ?? "", $0) })
            }
            try await fixture.eventually("pebble issued www.shop.test's certificate\n\(pebble.log)") {
                try await states()["www.shop.test"]?["status"] as? String == "cert issued"
            }
            try await fixture.eventually("bad.shop.test failed") { try await states()["bad.shop.test"]?["status"] as? String == "failed" }
            let bad = try await states()["bad.shop.test"]
            let reason = bad?["reason"] as? String ?? ""
            #expect(reason.hasPrefix("Validation failed: "), "\(reason)")
            #expect(reason.contains("127.0.0.2"), "pebble's own words: \(reason)")
            let table = try await fixture.admin(["certs:auto", "shop"]).stdout
            #expect(table.contains("Automatic Certificate Management is enabled on shop"))
            #expect(table.split(separator: "\n").contains { $0.hasPrefix("www.shop.test") && $0.contains("Cert issued") }, "\(table)")
            #expect(
                table.split(separator: "\n").contains { $0.hasPrefix("bad.shop.test") && $0.contains("Failed") && $0.contains("Validation failed") })

            // Stored like an upload, for www.shop.test only.
            let certificates =
                try JSONSerialization.jsonObject(with: Data(try await fixture.admin(["certs", "shop", "--json"]).stdout.utf8))
                as? [[String: Any]] ?? []
            #expect(certificates.map { $0["names"] as? [String] ?? [] } == [["www.shop.test"]], "\(certificates)")
            #expect((certificates.first?["issuer"] as? String ?? "").contains("Pebble Intermediate CA"))

            // Served by SNI with pebble's chain: curl trusts pebble's root and reaches the app over https.
            let rootFile = work.appending("pebble-root.pem")
            let root = try await pebble.root()
            try root.write(toFile: rootFile, atomically: true, encoding: .utf8)
            func https(_ path: String) async throws -> ProcessResult {
                try await ProcessRunner.run(
                    "/usr/bin/curl",
                    [
                        "-sS", "--max-time", "20", "--cacert", rootFile, "--resolve", "www.shop.test:\(httpsPort):127.0.0.1",
                        "https://www.shop.test:\(httpsPort)\(path)",
                    ])
            }
            try await fixture.eventually("www.shop.test served over https with pebble's certificate") {
                try await https("/headers").stdout.contains("\"x-forwarded-proto\": \"https\"")
            }
            func served() async throws -> String {
                let handshake = try await ProcessRunner.run(
                    "/usr/bin/openssl",
                    ["s_client", "-connect", "127.0.0.1:\(httpsPort)", "-servername", "www.shop.test", "-CAfile", rootFile], input: Data())
                let fingerprint = try await ProcessRunner.run(
                    "/usr/bin/openssl", ["x509", "-noout", "-fingerprint", "-sha256", "-issuer"], input: Data(handshake.stdout.utf8))
                return fingerprint.stdout
            }
            let first = try await served()
            #expect(first.contains("Pebble Intermediate CA"), "\(first)")

            // The challenge path of a token openruko has not pending goes to the app, as before.
            let unknown = try await ProcessRunner.run(
                "/usr/bin/curl",
                ["-sS", "--max-time", "10", "-H", "Host: www.shop.test", "http://127.0.0.1:\(routerPort)/.well-known/acme-challenge/forged"])
            #expect(unknown.stdout.contains("\"dyno\": \"web.1\""), "\(unknown.stdout)")

            // Renewal: within the threshold, a new certificate replaces the old one.
            try await fixture.eventually("www.shop.test's certificate renewed") {
                let now = try await served()
                return now != first && now.contains("Pebble Intermediate CA")
            }
            #expect(try await https("/headers").status == 0)
            let account = try FileManager.default.attributesOfItem(atPath: fixture.dataDir + "/tls/acme-account.pem")
            #expect((account[.posixPermissions] as? Int) == 0o600)

            // Disabled: the automatic certificates go, the platform's is served again.
            #expect(try await fixture.admin(["certs:auto:disable", "shop"]).stdout.contains("Disabling Automatic Certificate Management... done"))
            try await fixture.eventually("www.shop.test back on the platform's certificate") {
                try await served().contains("openruko")
            }
            #expect(try await fixture.admin(["certs", "shop"]).stdout.contains("shop has no SSL certificates."))
        }

        @Test func aHostileACMEServerCostsABoundedWaitAndBoundedMemory() async throws {
            let work = TemporaryDirectory("openruko-acme-hostile")
            let listener = try await PebbleServer.prepare(in: work.appending("listener"))
            let mode = work.appending("mode")
            try "huge".write(toFile: mode, atomically: true, encoding: .utf8)
            let port = try await freePort()
            let server = try await BackgroundProcess(
                ["/usr/bin/python3", "-c", Self.hostileServer, mode, listener.certificateFile, listener.keyFile, String(port)],
                log: work.appending("server.log"))
            defer { server.stop() }
            let fixture = try await RuntimeFixture.start(environment: [
                "OPENRUKO_ACME_DIRECTORY": "https://127.0.0.1:\(port)/dir", "OPENRUKO_ACME_CA": listener.caFile,
                "OPENRUKO_ACME_INTERVAL": "0.5", "OPENRUKO_ACME_TIMEOUT": "3",
            ])
            defer { Task { await fixture.daemon.stop() } }
            try await fixture.admin(["apps:create", "shop"])
            try await fixture.admin(["domains:add", "shop", "www.shop.test"])
            let before = Self.residentKilobytes(fixture.daemon.pid)
            try await fixture.admin(["certs:auto:enable", "shop"])
            func reason() async throws -> String? {
                let result = try await fixture.admin(["certs:auto", "shop", "--json"])
                let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
                let domain = (object?["domains"] as? [[String: Any]])?.first
                return domain?["status"] as? String == "failed" ? domain?["reason"] as? String : nil
            }
            try await fixture.eventually("an endless answer failed the order") { try await reason() != nil }
            let huge = try await reason() ?? ""
            #expect(huge.contains("too large") || huge.contains("Cannot reach the ACME server"), "\(huge)")
            let after = Self.residentKilobytes(fixture.daemon.pid)
            #expect(after - before < 64 * 1024, "the daemon grew from \(before) kB to \(after) kB")

            // A server that never answers: the exchange times out.
            try "slow".write(toFile: mode, atomically: true, encoding: .utf8)
            try await fixture.admin(["certs:auto:enable", "shop"])  // a failed domain is tried again at once
            try await fixture.eventually("a silent server failed the order") {
                try await reason()?.contains("timed out") == true
            }
            #expect(try await fixture.admin(["certs", "shop"]).stdout.contains("shop has no SSL certificates."))
            #expect(try await fixture.admin(["apps"]).status == 0, "the daemon's store still answers")
        }

        static func residentKilobytes(_ pid: Int32) -> Int {
            let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
            let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
            return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
        }

        /// An HTTPS server that, by the mode file, streams an endless answer or never answers.
        static let hostileServer = """
            import http.server, ssl, sys, time
            mode_file, cert, key, port = sys.argv[1:5]
            class Handler(http.server.BaseHTTPRequestHandler):
                protocol_version = "HTTP/1.0"
                def do_GET(self):
                    if open(mode_file).read().strip() == "slow":
                        time.sleep(3600)
                        return
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    chunk = b"x" * 65536
                    try:
                        while True:
                            self.wfile.write(chunk)
                    except Exception:
                        pass
                def log_message(self, *args):
                    pass
            server = http.server.ThreadingHTTPServer(("127.0.0.1", int(port)), Handler)
            server.daemon_threads = True
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(cert, key)
            server.socket = context.wrap_socket(server.socket, server_side=True)
            server.serve_forever()
            """
    }
}
