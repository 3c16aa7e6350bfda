import AppLogs
import Foundation
import NIOHTTP1
import NIOSSL
import OpenrukoCore
import Synchronization
import TestSupport
import Testing

/// Drains against real receivers on loopback: syslog (octet counting, RFC 5424, optionally
/// TLS) and HTTP (`application/logplex-1`), bursts, endpoints that are down, overflow.
@Suite(.timeLimit(.minutes(15))) struct DrainTests {
    /// A store and a drain supervisor following a changeable list of drains.
    final class Fixture: Sendable {
        let logs: StartedStore
        let drains = DrainList()
        let task: Task<Void, Never>
        let app = testApp()

        init(settings: LogSettings = LogSettings(), tls: DrainTLS = DrainTLS()) {
            logs = StartedStore(settings: settings)
            let list = drains
            let supervisor = DrainSupervisor(store: logs.store, tls: tls, interval: .milliseconds(50)) { list.read() }
            task = Task { await supervisor.run() }
        }

        deinit { task.cancel() }

        /// Adds a drain (as `drains:add` does: stamped now) and waits for the supervisor to
        /// have seen the list once before.
        @discardableResult
        func add(_ url: String) async throws -> LogDrain {
            let seen = drains.reads.withLock { $0 }
            _ = try await waitFor { drains.reads.withLock { $0 } > seen ? true : nil }
            let drain = LogDrain(id: UUID(), appID: app.id, url: url, token: "d.\(UUID().uuidString.lowercased())", createdAt: Date(), updatedAt: Date())
            drains.value.withLock { $0.append(drain) }
            return drain
        }

        func emit(_ count: Int, prefix: String = "line") {
            for index in 1...count { logs.store.emit(line(app, "web.1", "\(prefix) \(index)")) }
        }
    }

    @Test func aSyslogReceiverGetsEveryLineOfABurstInRFC5424() async throws {
        let receiver = try await SyslogReceiver()
        let fixture = Fixture()
        let drain = try await fixture.add("syslog://127.0.0.1:\(receiver.port)")
        fixture.emit(5_000)
        fixture.logs.store.emit(line(fixture.app, "router", "at=info status=200", source: "heroku"))
        let frames = try await waitFor { receiver.frames.count >= 5_001 ? receiver.frames : nil }
        #expect(frames.count == 5_001)
        #expect(receiver.malformedFrames == 0)
        let first = try #require(frames.first)
        let pattern = #/^<190>1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00 (\S+) app web\.1 - - line 1$/#
        let match = try #require(first.wholeMatch(of: pattern), "\(first)")
        #expect(match.1 == drain.token)
        #expect(frames.last?.hasPrefix("<158>1 ") == true)
        #expect(frames.last?.hasSuffix(" \(drain.token) heroku router - - at=info status=200") == true)
        #expect(lastWords(frames.dropLast()) == numbers(1...5_000))
        await receiver.close()
    }

    @Test func anHTTPReceiverGetsBatchedLogplexPostsOfEveryLine() async throws {
        let receiver = try await HTTPReceiver()
        let fixture = Fixture()
        let drain = try await fixture.add("http://user:secret@127.0.0.1:\(receiver.port)/logs?app=web1")
        fixture.emit(3_000)
        let frames = try await waitFor { receiver.frames.count >= 3_000 ? receiver.frames : nil }
        #expect(frames.count == 3_000)
        #expect(lastWords(frames) == numbers(1...3_000))
        let pattern = #/^<190>1 \S+ host app web\.1 - line 1$/#
        #expect(frames.first.map { $0.wholeMatch(of: pattern) != nil } == true, "\(frames.first ?? "")")
        let requests = receiver.requests
        #expect(requests.count >= 6)  // at most 500 lines per POST
        for request in requests {
            #expect(request.head.method == .POST)
            #expect(request.head.uri == "/logs?app=web1")
            #expect(request.head.headers["Content-Type"] == ["application/logplex-1"])
            #expect(request.head.headers["Logplex-Msg-Count"] == [String(request.frames.count)])
            #expect(request.head.headers["Logplex-Drain-Token"] == [drain.token])
            #expect(request.head.headers["Logplex-Frame-Id"].first?.count == 32)
            #expect(request.head.headers["Authorization"] == ["Basic " + Data("user:secret".utf8).base64EncodedString()])
            #expect(request.frames.count <= 500)
        }
        #expect(Set(requests.compactMap { $0.head.headers["Logplex-Frame-Id"].first }).count == requests.count)
        await receiver.close()
    }

    @Test func aDrainThatIsDownGetsTheLinesWhenItComesBack() async throws {
        let syslogPort = try freePort()
        let httpPort = try freePort()
        let fixture = Fixture()
        try await fixture.add("syslog://127.0.0.1:\(syslogPort)")
        try await fixture.add("http://127.0.0.1:\(httpPort)/")
        // Endpoints that close every connection: both drains try, fail and back off.
        let failing = [try await ClosingListener(port: syslogPort), try await ClosingListener(port: httpPort)]
        fixture.emit(300)
        _ = try await waitFor { failing.allSatisfy { $0.accepted >= 1 } ? true : nil }
        for listener in failing { await listener.close() }
        let syslog = try await SyslogReceiver(port: syslogPort)
        let http = try await HTTPReceiver(port: httpPort)
        let syslogFrames = try await waitFor { syslog.frames.count >= 300 ? syslog.frames : nil }
        let httpFrames = try await waitFor { http.frames.count >= 300 ? http.frames : nil }
        #expect(syslogFrames.count == 300 && httpFrames.count == 300)
        // An HTTP drain that answers errors is retried with the same batch until it takes it.
        http.status = .internalServerError
        fixture.emit(50, prefix: "retried")
        _ = try await waitFor { http.refusedRequests >= 1 ? true : nil }
        http.status = .ok
        let retried = try await waitFor { http.frames.count >= 350 ? http.frames : nil }
        let tail: [String] = retried.suffix(50).map { frame in frame.split(separator: " ").suffix(2).joined(separator: " ") }
        let expected: [String] = (1...50).map { "retried \($0)" }
        #expect(tail == expected)
        await syslog.close()
        await http.close()
    }

    @Test func aDeadDrainKeepsOnlyItsBufferAndItsDropsAreReportedInTheAppsLog() async throws {
        let port = try freePort()
        let fixture = Fixture(settings: LogSettings(drainBuffer: 100))
        let healthy = try await SyslogReceiver()
        let drain = try await fixture.add("syslog://127.0.0.1:\(port)")
        try await fixture.add("syslog://127.0.0.1:\(healthy.port)")
        // The live drain is not held up by the dead one: it gets every line (in rounds
        // smaller than the buffer, so that it never falls behind by more than the buffer).
        for round in 0..<20 {
            for index in 1...50 { fixture.logs.store.emit(line(fixture.app, "web.1", "line \(round * 50 + index)")) }
            _ = try await waitFor { healthy.frames.count >= (round + 1) * 50 ? true : nil }
        }
        #expect(healthy.frames.filter { $0.contains(" app web.1 ") }.count == 1_000)
        let receiver = try await SyslogReceiver(port: port)
        let frames = try await waitFor { receiver.frames.count >= 101 ? receiver.frames : nil }
        let lines = frames.filter { $0.contains(" app web.1 ") }
        #expect(lines.count == 100)
        #expect(lines.last?.hasSuffix("line 1000") == true)
        let log = await collect(fixture.logs.store.read(app: fixture.app, query: LogQuery(lines: 10, source: "heroku")))
        let notice = try #require(log.last { $0.contains("Error L10") })
        #expect(notice.contains(" heroku[logplex]: Error L10 (output buffer overflow): drain '\(drain.token)' dropped 900 messages since "), "\(notice)")
        // The notice also travels to the drains.
        _ = try await waitFor { receiver.frames.contains { $0.hasPrefix("<172>1 ") && $0.contains(" heroku logplex - - Error L10") } ? true : nil }
        await receiver.close()
        await healthy.close()
    }

    @Test func aSyslogTLSDrainVerifiesTheEndpointAndDelivers() async throws {
        let directory = TemporaryDirectory("openruko-tls")
        let key = directory.appending("key.pem")
        let certificate = directory.appending("cert.pem")
        let made = try await ProcessRunner.run(
            "/usr/bin/openssl",
            ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-days", "1", "-subj", "/CN=localhost",
             "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
        #expect(made.status == 0, "\(made.stderr)")
        let server = try NIOSSLContext(
            configuration: .makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))))
        let receiver = try await SyslogReceiver(tls: server)
        let fixture = Fixture(tls: DrainTLS(caFile: certificate))
        try await fixture.add("syslog+tls://localhost:\(receiver.port)")
        fixture.emit(200)
        let frames = try await waitFor { receiver.frames.count >= 200 ? receiver.frames : nil }
        #expect(frames.count == 200)
        // Without the CA, the certificate is refused and nothing is delivered.
        let untrusting = try await SyslogReceiver(tls: server)
        let other = Fixture(tls: DrainTLS(caFile: nil))
        try await other.add("syslog+tls://localhost:\(untrusting.port)")
        other.emit(10)
        // The drain refuses the certificate and hangs up: nothing came before it did.
        _ = try await waitFor { untrusting.endedConnections >= 1 ? true : nil }
        #expect(untrusting.frames.isEmpty)
        await receiver.close()
        await untrusting.close()
    }
}

/// Polls `probe` until it returns a value (or 60 s pass, which fails the test).
func waitFor<T>(_ probe: () -> T?) async throws -> T {
    let deadline = Date().addingTimeInterval(60)
    while Date() < deadline {
        if let value = probe() { return value }
        try await Task.sleep(for: .milliseconds(20))
    }
    throw TimedOut()
}

struct TimedOut: Error {}

/// The last word of each frame.
func lastWords(_ frames: some Sequence<String>) -> [String] {
    frames.map { frame in String(frame.split(separator: " ").last ?? "") }
}

/// "1", "2", …
func numbers(_ range: ClosedRange<Int>) -> [String] {
    range.map { String($0) }
}

/// The drains a test's supervisor follows.
final class DrainList: Sendable {
    let value = Mutex<[LogDrain]>([])
    /// How many times the supervisor has read the list.
    let reads = Mutex(0)

    func read() -> [LogDrain] {
        reads.withLock { $0 += 1 }
        return value.withLock { $0 }
    }
}
