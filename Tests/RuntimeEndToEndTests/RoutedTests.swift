import Foundation
import Testing
import TestSupport

extension RuntimeEndToEnd {
    /// Dynos behind the real router: Host routing, round-robin, H14, and releases that switch
    /// traffic without a failed request.
    @Suite(.timeLimit(.minutes(15))) struct RoutedTests {
        @Test func scaledWebDynosShareTheTrafficAndNoneGiveH14() async throws {
            let fixture = try await RuntimeFixture.start()
            defer { Task { await fixture.daemon.stop() } }
            try await fixture.deploy("rrobin", TestApp.files())
            let first = try #require(try await fixture.routed("rrobin"))
            #expect(first.status == 200)
            #expect(first.json?["dyno"] as? String == "web.1")

            try await fixture.admin(["ps:scale", "rrobin", "web=3"])
            try await fixture.eventually("three web dynos up") { try await fixture.webEndpoints("rrobin").count == 3 }
            var seen: [String] = []
            for _ in 0..<6 {
                if let dyno = try await fixture.routed("rrobin")?.json?["dyno"] as? String { seen.append(dyno) }
            }
            #expect(Set(seen) == ["web.1", "web.2", "web.3"], "round-robin reached \(seen)")

            try await fixture.admin(["ps:scale", "rrobin", "web=0"])
            let none = try #require(try await fixture.routed("rrobin"))
            #expect(none.status == 503)
            try await fixture.eventually("the router logged H14") { try await fixture.log("rrobin").contains("code=H14") }
            let unknown = try #require(try await fixture.routed("nosuchapp"))
            #expect(unknown.status == 404)
        }

        @Test func releasesSwitchWithoutAFailedRequest() async throws {
            let fixture = try await RuntimeFixture.start()
            defer { Task { await fixture.daemon.stop() } }
            let repo = try await fixture.deploy("zero", TestApp.files(version: "1"))
            try await fixture.admin(["ps:scale", "zero", "web=2"])
            let tally = RequestTally()
            let clients = (0..<2).map { _ in
                Task {
                    while !Task.isCancelled {
                        let answer = try await fixture.routed("zero")
                        if let answer, answer.status == 200, let version = answer.json?["version"] as? String {
                            tally.record(version: version)
                        } else {
                            tally.record(failure: answer.map { "\($0.status) \($0.body.prefix(200))" } ?? "no answer")
                        }
                    }
                }
            }
            try await Task.sleep(for: .milliseconds(300))
            try await fixture.change(repo, TestApp.files(version: "2"))
            let push = try await fixture.push(repo, app: "zero")
            #expect(push.status == 0, "\(push.stderr)")
            #expect(try await fixture.routed("zero")?.json?["version"] as? String == "2", "the push returned before traffic moved")
            try await fixture.admin(["config:set", "zero", "COLOR=blue"])
            try await fixture.admin(["ps:restart", "zero"])
            try await fixture.admin(["rollback", "zero", "v2"])
            try await Task.sleep(for: .milliseconds(300))
            for client in clients { client.cancel() }
            for client in clients { _ = try? await client.value }
            #expect(tally.failures.isEmpty, "failed requests: \(tally.failures)")
            #expect(tally.versions == ["1", "2"])
            #expect(tally.total > 50)
            #expect(try await fixture.routed("zero")?.json?["version"] as? String == "1")
        }
    }
}

/// What a client loop saw.
final class RequestTally: @unchecked Sendable {
    // @unchecked: every field is only touched while holding `lock`.
    private let lock = NSLock()
    private var seenVersions: Set<String> = []
    private var seenFailures: [String] = []
    private var count = 0

    func record(version: String) { lock.withLock { count += 1; seenVersions.insert(version) } }
    func record(failure: String) { lock.withLock { count += 1; seenFailures.append(failure) } }
    var versions: Set<String> { lock.withLock { seenVersions } }
    var failures: [String] { lock.withLock { seenFailures } }
    var total: Int { lock.withLock { count } }
}
