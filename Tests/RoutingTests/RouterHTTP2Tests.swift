import Foundation
import OpenrukoCore
import Operations
import Testing
import TestSupport

@testable import Routing

/// HTTP/2 over the router's TLS listener (ALPN `h2`), HTTP/1.1 to the dyno, with real curl,
/// h2load and a raw-frame Python client: the same answers, forwarded headers, error pages and
/// log lines as HTTP/1.1; bodies byte-exact both ways; many streams on one connection; and the
/// attacks (stream floods, rapid resets, huge header lists, streams that never send their body)
/// leave the router serving and its sockets back at rest.
@Suite(.serialized, .timeLimit(.minutes(15))) struct RouterHTTP2Tests {
    typealias Authority = RouterTLSTests.Authority

    /// Waits (up to 60 s) for `condition`.
    func eventually(_ what: String, _ condition: () async throws -> Bool) async throws {
        for _ in 0..<600 {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestFailure("timed out waiting until \(what)")
    }

    func decode(_ text: String) throws -> Echo {
        try JSONDecoder().decode(Echo.self, from: Data(text.utf8))
    }

    /// `curl --http2` through the TLS listener; `-i` output (status line, headers, body).
    func h2(_ router: RouterHarness, _ tls: Authority, _ host: String, _ paths: [String], _ extra: [String] = [])
        async throws -> ProcessResult
    {
        try await router.curlTLS(host, paths, caFile: tls.caFile, ["--http2"] + extra)
    }

    @Test func h2IsNegotiatedAndProxiedAsHTTP11WithTheSameHeadersAndLog() async throws {
        let backend = try await TestBackend.start(name: "web.1")
        let tls = try Authority()
        try await RouterHarness.with(certificates: tls.certificates) { router in
            router.routes.set("app.localhost", .backends(app: "app", appID: UUID(), [backend.backend]))
            let answer = try await h2(router, tls, "app.localhost", ["/h2?x=1"], ["-v", "-i"])
            #expect(answer.stderr.contains("ALPN: server accepted h2"), "\(answer.stderr)")
            #expect(answer.stdout.hasPrefix("HTTP/2 200"), "\(answer.stdout)\(answer.stderr)")
            let body = try #require(answer.stdout.components(separatedBy: "\r\n\r\n").last)
            let seen = try decode(body)
            #expect(seen.path == "/h2?x=1")
            #expect(seen.headers["host"] == "app.localhost:\(router.tlsPort)")
            #expect(seen.headers["x-forwarded-proto"] == "https")
            #expect(seen.headers["x-forwarded-port"] == String(router.tlsPort))
            #expect(seen.headers["x-forwarded-for"] == "127.0.0.1")
            #expect(seen.headers["via"] == "1.1 openruko")
            #expect(seen.headers["x-request-id"]?.isEmpty == false)
            // The dyno got HTTP/1.1 (the backend's parser accepts nothing else).
            #expect(backend.requests.last?.uri == "/h2?x=1")
            // No HTTP/1.1 connection fields in the HTTP/2 answer.
            #expect(!answer.stdout.lowercased().contains("\nconnection:"))
            let lines = try await router.logs.wait(for: 1)
            #expect(lines[0].message.contains("method=GET path=\"/h2?x=1\""), "\(lines[0].message)")
            #expect(lines[0].message.contains(" status=200 "))
            #expect(lines[0].message.hasSuffix(" protocol=https"))

            // HTTP/1.1 is still there for clients that ask for it.
            let old = try await router.curlTLS("app.localhost", ["/h1"], caFile: tls.caFile, ["--http1.1", "-v", "-i"])
            #expect(old.stderr.contains("ALPN: server accepted http/1.1"), "\(old.stderr)")
            #expect(old.stdout.hasPrefix("HTTP/1.1 200"), "\(old.stdout)")

            // Heroku's error pages, the same bytes over both.
            let unknown2 = try await h2(router, tls, "nope.localhost", ["/"], ["-i"])
            let unknown1 = try await router.curlTLS("nope.localhost", ["/"], caFile: tls.caFile, ["--http1.1"])
            #expect(unknown2.stdout.hasPrefix("HTTP/2 404"), "\(unknown2.stdout)")
            #expect(unknown2.stdout.hasSuffix(unknown1.stdout) && !unknown1.stdout.isEmpty)
            router.routes.set("idle.localhost", .noWebDynos(app: "idle", appID: UUID()))
            let idle = try await h2(router, tls, "idle.localhost", ["/"], ["-i"])
            #expect(idle.stdout.hasPrefix("HTTP/2 503"), "\(idle.stdout)")
            let all = try await router.logs.wait(for: 3)
            #expect(all.contains { $0.message.contains("code=H14") && $0.message.hasSuffix(" protocol=https") })

            // HEAD: the head only.
            let head = try await h2(router, tls, "app.localhost", ["/"], ["-I"])
            #expect(head.stdout.hasPrefix("HTTP/2 200"), "\(head.stdout)")
        }
        await backend.stop()
    }

    @Test func bodiesAreStreamedByteExactBothWays() async throws {
        let backend = try await TestBackend.start(name: "web.1")
        let tls = try Authority()
        let directory = TemporaryDirectory("openruko-h2-body")
        let upload = directory.appending("upload.bin")
        var bytes = [UInt8](repeating: 0, count: 3 * 1024 * 1024 + 17)
        for index in bytes.indices { bytes[index] = UInt8(truncatingIfNeeded: index &* 31 &+ index >> 9) }
        try Data(bytes).write(to: URL(fileURLWithPath: upload))
        try await RouterHarness.with(certificates: tls.certificates) { router in
            router.routes.set("app.localhost", .backends(app: "app", appID: UUID(), [backend.backend]))
            // With a length, and without (chunked to the dyno).
            for extra in [["--data-binary", "@\(upload)"], ["--data-binary", "@\(upload)", "-H", "Content-Length:"]] {
                let answer = try await h2(router, tls, "app.localhost", ["/upload"], extra + ["-H", "Content-Type: application/octet-stream"])
                #expect(answer.status == 0, "\(answer.stderr)")
                let seen = try decode(answer.stdout)
                #expect(seen.method == "POST")
                #expect(seen.bodyBytes == bytes.count)
                #expect(seen.bodySHA == Checksum.hex(bytes))
            }
            // A large chunked response, decoded from its HTTP/1.1 framing.
            let download = directory.appending("download.bin")
            let size = 5_000_000
            let answer = try await h2(router, tls, "app.localhost", ["/big/\(size)"], ["-o", download])
            #expect(answer.status == 0, "\(answer.stderr)")
            let received = try [UInt8](Data(contentsOf: URL(fileURLWithPath: download)))
            #expect(received.count == size)
            #expect(received.enumerated().allSatisfy { $0.element == UInt8(truncatingIfNeeded: $0.offset % 65536) })
        }
        await backend.stop()
    }

    @Test func concurrentStreamsShareOneConnection() async throws {
        let backend = try await TestBackend.start(name: "web.1")
        let tls = try Authority()
        try await RouterHarness.with(certificates: tls.certificates) { router in
            router.routes.set("app.localhost", .backends(app: "app", appID: UUID(), [backend.backend]))
            // Eight requests held at the dyno until all eight arrived: they are open at once.
            let paths = (0..<8).map { "/wait/together?n=\($0)" }
            let waiting = Task {
                try await h2(router, tls, "app.localhost", paths, ["--parallel", "--parallel-max", "8", "-w", "\n%{num_connects}\n"])
            }
            try await eventually("the dyno saw all eight requests") { backend.requests.count >= 8 }
            for index in 0..<8 { backend.gates.open("together?n=\(index)") }
            let answer = try await waiting.value
            #expect(answer.status == 0, "\(answer.stderr)")
            let connects = answer.stdout.split(separator: "\n").filter { $0 == "0" || $0 == "1" }.compactMap { Int($0) }
            #expect(connects.count == 8 && connects.reduce(0, +) == 1, "one TLS connection for all: \(answer.stdout)")
            #expect(Set(backend.requests.map(\.uri)) == Set(paths))
            let lines = try await router.logs.wait(for: 8)
            #expect(lines.allSatisfy { $0.message.contains(" status=200 ") })
        }
        await backend.stop()
    }
}
