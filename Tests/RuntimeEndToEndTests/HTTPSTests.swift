import Foundation
import Testing
import TestSupport

extension RuntimeEndToEnd {
    /// The router's TLS listener in the real daemon, with a real dyno, real curl and openssl:
    /// an app pushed with no TLS setup is served at https://APP.localhost with the platform's
    /// certificate (trusting `DATA_DIR/tls/ca.crt`) and learns the request was https; an app
    /// that redirects http to https (Django's SECURE_SSL_REDIRECT) works; a custom domain is
    /// served with the certificate uploaded over SSH; bad uploads are refused with their reason.
    @Suite(.timeLimit(.minutes(15))) struct HTTPSTests {
        @Test func appsAreServedOverHTTPSWithThePlatformsAndTheirOwnCertificates() async throws {
            let fixture = try await RuntimeFixture.start()
            defer { Task { await fixture.daemon.stop() } }
            try await fixture.deploy("secure", TestApp.files())
            let port = try #require(fixture.daemon.ready["https"].flatMap { $0.split(separator: ":").last }.flatMap { Int($0) })
            let platformCA = fixture.dataDir + "/tls/ca.crt"
            // The URL openruko shows for the app is this HTTPS one, as Heroku's web_url is.
            let info = try await fixture.admin(["apps:info", "secure"]).stdout
            #expect(info.contains("https://secure.localhost:\(port)/"), "\(info)")

            func curl(_ host: String, _ path: String, ca: String = platformCA, _ extra: [String] = []) async throws -> ProcessResult {
                try await ProcessRunner.run(
                    "/usr/bin/curl",
                    ["-sS", "--max-time", "20", "--cacert", ca, "--resolve", "\(host):\(port):127.0.0.1"] + extra
                        + ["https://\(host):\(port)\(path)"])
            }
            let headers = try await curl("secure.localhost", "/headers")
            #expect(headers.status == 0, "\(headers.stderr)")
            let seen = try JSONSerialization.jsonObject(with: Data(headers.stdout.utf8)) as? [String: String]
            #expect(seen?["x-forwarded-proto"] == "https", "\(headers.stdout)")
            #expect(seen?["x-forwarded-port"] == String(port))
            #expect(seen?["x-request-id"]?.isEmpty == false)

            // An app that sends http to https is served over https.
            let plain = try #require(try await fixture.routed("secure", "/secure"))
            #expect(plain.status == 301)
            let redirected = try await curl("secure.localhost", "/secure", ["-L", "-w", "\n%{http_code}"])
            #expect(redirected.stdout.hasSuffix("{\"secure\": true}\n200"), "\(redirected.stdout)\(redirected.stderr)")
            try await fixture.eventually("the router logged an https request") {
                let log = try await fixture.log("secure")
                return log.split(separator: "\n").contains {
                    $0.contains("path=\"/secure\" host=secure.localhost") && $0.contains(" status=200 ") && $0.hasSuffix(" protocol=https")
                }
            }

            // TLS 1.2 and 1.3 only.
            func handshake(_ name: String, _ options: [String], ca: String = platformCA) async throws -> String {
                try await ProcessRunner.run(
                    "/usr/bin/openssl", ["s_client", "-connect", "127.0.0.1:\(port)", "-servername", name, "-CAfile", ca] + options,
                    input: Data()
                ).stdout
            }
            #expect(try await handshake("secure.localhost", ["-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"]).contains("Cipher is (NONE)"))
            let v12 = try await handshake("secure.localhost", ["-tls1_2"])
            #expect(v12.contains("New, TLSv1.2, Cipher is ECDHE-"), "\(v12)")
            #expect(v12.contains("Verify return code: 0 (ok)"), "\(v12)")

            // A custom domain with its own certificate, uploaded over SSH (chain and key on stdin).
            let certificates = try await ShopCertificates.make(in: fixture.directory.appending("shop"))
            try await fixture.admin(["domains:add", "secure", "www.shop.test"])
            try await fixture.admin(["users:create", "owner@example.com"])
            try await fixture.admin(["access:add", "secure", "owner@example.com"])
            let key = try await TestKey.generate("ed25519", in: fixture.directory.path, name: "owner")
            try await fixture.admin(["keys:add", "--user", "owner@example.com"], input: key.publicKey)
            let sshPort = try #require(fixture.daemon.ready["ssh"].flatMap { $0.split(separator: ":").last }.flatMap { Int($0) })
            let owner = SSHClient(port: sshPort, key: key)

            for (input, refusal) in [
                (certificates.leaf + certificates.otherKey, " !     The private key does not match the certificate (O=Shop,CN=www.shop.test).\n"),
                (
                    "not a certificate\n",
                    " !     No certificate found: give the certificate chain in PEM form (-----BEGIN CERTIFICATE-----), "
                        + "the app's certificate first.\n"
                ),
                (
                    certificates.root + certificates.leaf + certificates.key,
                    " !     The certificate chain is out of order: the certificate of this key (O=Shop,CN=www.shop.test) "
                        + "must come first, then its issuers.\n"
                ),
                (certificates.expired + certificates.expiredKey, " !     The certificate (CN=www.shop.test) expired on 2020-02-01.\n"),
            ] {
                let refused = try await owner.run("certs:add secure", input: input)
                #expect(refused.status == 1)
                #expect(refused.stderr == refusal)
            }
            #expect(try await owner.run("certs secure").stdout.contains("secure has no SSL certificates."))

            let added = try await owner.run("certs:add secure", input: certificates.leaf + certificates.root + certificates.key)
            #expect(added.status == 0, "\(added.stderr)")
            #expect(added.stdout.contains("Adding SSL certificate to secure... done"))
            #expect(added.stdout.contains("Domains:        www.shop.test"), "\(added.stdout)")
            try await fixture.eventually("www.shop.test served with its own certificate") {
                try await handshake("www.shop.test", [], ca: certificates.rootFile).contains("subject=CN = www.shop.test, O = Shop")
            }
            #expect(try await handshake("www.shop.test", [], ca: certificates.rootFile).contains("Verify return code: 0 (ok)"))
            // The router learns custom domains every 2 s (certificates within 1 s): wait for both.
            try await fixture.eventually("www.shop.test routed to its app over https") {
                try await curl("www.shop.test", "/headers", ca: certificates.rootFile).stdout.contains("\"x-forwarded-proto\"")
            }
            let shop = try await curl("www.shop.test", "/headers", ca: certificates.rootFile)
            #expect(shop.stdout.contains("\"x-forwarded-proto\": \"https\""), "\(shop.stdout)\(shop.stderr)")
            // Names nothing covers get the platform's certificate.
            #expect(try await handshake("unknown.example.org", []).contains("subject=O = openruko, CN = *.localhost"))

            let name = try #require(added.stdout.split(separator: "\n").first { $0.hasPrefix("Name:") }?.split(separator: " ").last)
            #expect(try await owner.run("certs:remove secure \(name)").status == 0)
            try await fixture.eventually("www.shop.test back on the platform's certificate") {
                try await handshake("www.shop.test", []).contains("subject=O = openruko, CN = *.localhost")
            }
        }
    }
}

/// Certificates for www.shop.test made with openssl: a root, a leaf it signed with its key,
/// another key, and an expired leaf (January 2020).
struct ShopCertificates {
    var root: String
    var rootFile: String
    var leaf: String
    var key: String
    var otherKey: String
    var expired: String
    var expiredKey: String

    static func make(in directory: String) async throws -> ShopCertificates {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        func openssl(_ arguments: [String]) async throws {
            let result = try await ProcessRunner.run("/usr/bin/openssl", arguments, directory: directory)
            if result.status != 0 { throw TestFailure("openssl \(arguments.joined(separator: " ")): \(result.stderr)") }
        }
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
        try await openssl(["req", "-x509"] + ec + ["-keyout", "root.key", "-out", "root.pem", "-days", "30", "-subj", "/CN=Shop Test Root"])
        try await openssl(["req"] + ec + ["-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=www.shop.test/O=Shop"])
        try "subjectAltName=DNS:www.shop.test\n".write(toFile: directory + "/san", atomically: true, encoding: .utf8)
        try await openssl([
            "x509", "-req", "-in", "leaf.csr", "-CA", "root.pem", "-CAkey", "root.key", "-CAcreateserial", "-days", "10",
            "-extfile", "san", "-out", "leaf.pem",
        ])
        try await openssl(["genpkey", "-algorithm", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "other.key"])
        // An expired certificate: `openssl ca` takes explicit dates.
        try "".write(toFile: directory + "/index.txt", atomically: true, encoding: .utf8)
        try "01\n".write(toFile: directory + "/serial", atomically: true, encoding: .utf8)
        let configuration = [
            "[ca]", "default_ca=d", "[d]", "database=index.txt", "new_certs_dir=.", "serial=serial", "default_md=sha256", "policy=p",
            "copy_extensions=copy", "[p]", "commonName=supplied",
        ]
        try (configuration.joined(separator: "\n") + "\n").write(toFile: directory + "/ca.cnf", atomically: true, encoding: .utf8)
        try await openssl(
            ["req"] + ec + ["-keyout", "old.key", "-out", "old.csr", "-subj", "/CN=www.shop.test", "-addext", "subjectAltName=DNS:www.shop.test"])
        try await openssl([
            "ca", "-batch", "-config", "ca.cnf", "-cert", "root.pem", "-keyfile", "root.key", "-in", "old.csr", "-startdate",
            "20200101000000Z", "-enddate", "20200201000000Z", "-out", "old.pem",
        ])
        func read(_ name: String) throws -> String { try String(contentsOfFile: directory + "/" + name, encoding: .utf8) }
        return ShopCertificates(
            root: try read("root.pem"), rootFile: directory + "/root.pem", leaf: try read("leaf.pem"), key: try read("leaf.key"),
            otherKey: try read("other.key"), expired: try read("old.pem"), expiredKey: try read("old.key"))
    }
}
