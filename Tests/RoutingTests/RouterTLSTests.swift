import Foundation
import OpenrukoCore
import Operations
import Testing
import TestSupport

@testable import Routing

/// The router's TLS listener over loopback with real curl, openssl and Python clients: the same
/// proxy as plain HTTP with `X-Forwarded-Proto: https`, WebSockets, error pages and log lines;
/// certificates chosen by SNI; and the pure choice behind it.
@Suite(.timeLimit(.minutes(15))) struct RouterTLSTests {
    /// A local authority for `localhost` (as the daemon makes), its certificate in a file, and
    /// the listener's certificates: `*.localhost` by default, one per `APP.localhost`.
    struct Authority {
        let directory = TemporaryDirectory("openruko-tls")
        let authority: LocalCertificateAuthority
        let certificates: TLSCertificates
        var caFile: String { directory.appending("ca.crt") }

        init() throws {
            authority = try LocalCertificateAuthority.create(domain: "localhost")
            let issued = try authority.issue(hosts: ["*.localhost", "localhost"])
            let authority = authority
            certificates = try TLSCertificates(
                platform: ServedCertificate(chainPEM: issued.chain, keyPEM: issued.key, expiresAt: issued.expiresAt),
                issuingDomain: "localhost",
                issuer: { host in
                    let one = try authority.issue(hosts: [host])
                    return ServedCertificate(chainPEM: one.chain, keyPEM: one.key, expiresAt: one.expiresAt)
                })
            try authority.certificatePEM.write(toFile: caFile, atomically: true, encoding: .utf8)
        }
    }

    func decode(_ text: String) throws -> Echo {
        try JSONDecoder().decode(Echo.self, from: Data(text.utf8))
    }

    @Test func httpsReachesTheDynoWithForwardedProtoAndPortAndIsLoggedAsHTTPS() async throws {
        let backend = try await TestBackend.start(name: "web.1")
        let tls = try Authority()
        try await RouterHarness.with(certificates: tls.certificates) { router in
            router.routes.set("app.localhost", .backends(app: "app", appID: UUID(), [backend.backend]))
            let answer = try await router.curlTLS("app.localhost", ["/secure?x=1"], caFile: tls.caFile)
            #expect(answer.status == 0, "\(answer.stderr)")
            let seen = try decode(answer.stdout)
            #expect(seen.path == "/secure?x=1")
            #expect(seen.headers["x-forwarded-proto"] == "https")
            #expect(seen.headers["x-forwarded-port"] == String(router.tlsPort))
            #expect(seen.headers["x-forwarded-for"] == "127.0.0.1")
            #expect(seen.headers["via"] == "1.1 openruko")
            let lines = try await router.logs.wait(for: 1)
            #expect(lines[0].message.hasSuffix(" protocol=https"), "\(lines[0].message)")

            // The plain listener is unchanged beside it.
            let plain = try decode(try await router.curl("app.localhost", ["/plain"]).stdout)
            #expect(plain.headers["x-forwarded-proto"] == "http")
            #expect(plain.headers["x-forwarded-port"] == String(router.port))

            // Heroku's pages come over TLS too (HTTP/1.1 here; RouterHTTP2Tests checks them over h2).
            let unknown = try await router.curlTLS("nope.localhost", ["/"], caFile: tls.caFile, ["--http1.1", "-i"])
            #expect(unknown.stdout.hasPrefix("HTTP/1.1 404"), "\(unknown.stdout)\(unknown.stderr)")
            router.routes.set("idle.localhost", .noWebDynos(app: "idle", appID: UUID()))
            let idle = try await router.curlTLS("idle.localhost", ["/"], caFile: tls.caFile, ["--http1.1", "-i"])
            #expect(idle.stdout.hasPrefix("HTTP/1.1 503"), "\(idle.stdout)")
            let all = try await router.logs.wait(for: 3)  // no app, no log line for the 404
            #expect(all.contains { $0.message.contains("code=H14") && $0.message.hasSuffix(" protocol=https") })
        }
        await backend.stop()
    }

    @Test func onlyTLS12And13WithModernCiphers() async throws {
        let tls = try Authority()
        try await RouterHarness.with(certificates: tls.certificates) { router in
            func handshake(_ options: [String]) async throws -> ProcessResult {
                try await ProcessRunner.run(
                    "/usr/bin/openssl",
                    ["s_client", "-connect", "127.0.0.1:\(router.tlsPort)", "-servername", "app.localhost", "-CAfile", tls.caFile]
                        + options,
                    input: Data())
            }
            let old = try await handshake(["-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"])
            #expect(old.stdout.contains("Cipher is (NONE)"), "\(old.stdout)")
            let v12 = try await handshake(["-tls1_2"])
            #expect(v12.stdout.contains("New, TLSv1.2, Cipher is ECDHE-ECDSA-AES"), "\(v12.stdout)\(v12.stderr)")
            #expect(v12.stdout.contains("Verify return code: 0 (ok)"))
            let v13 = try await handshake(["-tls1_3"])
            #expect(v13.stdout.contains("New, TLSv1.3, Cipher is TLS_"), "\(v13.stdout)")
            // No CBC suite and no suite without forward secrecy, even when the client offers only those.
            let cbc = try await handshake(["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA:AES128-GCM-SHA256"])
            #expect(cbc.stdout.contains("Cipher is (NONE)"), "\(cbc.stdout)")
            let chacha = try await handshake(["-tls1_2", "-cipher", "ECDHE-ECDSA-CHACHA20-POLY1305"])
            #expect(chacha.stdout.contains("Cipher is ECDHE-ECDSA-CHACHA20-POLY1305"), "\(chacha.stdout)")
        }
    }

    @Test func webSocketsPassThroughTheTLSListener() async throws {
        let backend = try await TestBackend.start(name: "web.1")
        let tls = try Authority()
        try await RouterHarness.with(certificates: tls.certificates) { router in
            router.routes.set("ws.localhost", .backends(app: "ws", appID: UUID(), [backend.backend]))
            let script = """
                import socket, ssl, sys
                from websockets.sync.client import connect
                context = ssl.create_default_context(cafile=sys.argv[2])
                sock = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
                with connect("wss://ws.localhost/ws", sock=sock, ssl=context, server_hostname="ws.localhost", open_timeout=10, max_size=None) as ws:
                    for message in ["hello", "x" * 200000, b"\\x00\\x01binary"]:
                        ws.send(message)
                        echoed = ws.recv(timeout=10)
                        print("echo ok" if echoed == message else "echo MISMATCH")
                print("closed", ws.close_code)
                """
            let result = try await ProcessRunner.run("/usr/bin/env", ["python3", "-c", script, String(router.tlsPort), tls.caFile])
            #expect(result.stdout == "echo ok\necho ok\necho ok\nclosed 1000\n", "\(result.stdout)\(result.stderr)")
            let lines = try await router.logs.wait(for: 1)
            #expect(lines[0].message.contains(" status=101 "))
            #expect(lines[0].message.hasSuffix(" protocol=https"))
        }
        await backend.stop()
    }

    @Test func certificatesAreChosenBySNI() async throws {
        let tls = try Authority()
        // An "uploaded" certificate for www.shop.test, from an authority of its own.
        let shopAuthority = try LocalCertificateAuthority.create(domain: "shop.test")
        let shop = try shopAuthority.issue(hosts: ["www.shop.test"])
        try tls.certificates.update(uploaded: ["www.shop.test": ServedCertificate(chainPEM: shop.chain, keyPEM: shop.key)])
        try await RouterHarness.with(certificates: tls.certificates) { router in
            func subject(_ name: String?) async throws -> String {
                let result = try await ProcessRunner.run(
                    "/usr/bin/openssl",
                    ["s_client", "-connect", "127.0.0.1:\(router.tlsPort)"] + (name.map { ["-servername", $0] } ?? ["-noservername"]),
                    input: Data())
                return result.stdout.split(separator: "\n").first { $0.hasPrefix("subject=") }.map(String.init) ?? result.stderr
            }
            #expect(try await subject("www.shop.test") == "subject=O = openruko, CN = www.shop.test")
            #expect(try await subject("web1.localhost") == "subject=O = openruko, CN = web1.localhost")
            #expect(try await subject("unknown.example.org") == "subject=O = openruko, CN = *.localhost")
            #expect(try await subject(nil) == "subject=O = openruko, CN = *.localhost")

            // Removed: the platform's certificate again.
            try tls.certificates.update(uploaded: [:])
            #expect(try await subject("www.shop.test") == "subject=O = openruko, CN = *.localhost")
        }
    }

    @Test func theChoiceOfCertificate() {
        let uploaded: Set<String> = ["www.shop.test"]
        func choice(_ name: String?, issuing: String? = "localhost") -> CertificateChoice {
            CertificateChoice.make(serverName: name, hasUploaded: { uploaded.contains($0) }, issuingDomain: issuing)
        }
        #expect(choice("WWW.Shop.Test.") == .uploaded("www.shop.test"))
        #expect(choice("web1.localhost") == .issued("web1.localhost"))
        #expect(choice("localhost") == .issued("localhost"))
        #expect(choice("a.b.localhost") == .platform)
        #expect(choice("evil_name.localhost") == .platform)
        #expect(choice("shop.test") == .platform)
        #expect(choice(nil) == .platform)
        #expect(choice("") == .platform)
        #expect(choice("web1.localhost", issuing: nil) == .platform)
    }
}
