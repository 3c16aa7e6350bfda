import Foundation
import TestSupport
import Testing

/// Team members pushing one app at once, through the daemon with the real ssh and git: one
/// build at a time, and a push whose branch moved while it waited for its turn is refused
/// before it builds, so the app only ever runs what `main` contains.
@Suite(.serialized, .timeLimit(.minutes(15))) struct ConcurrentPushTests {
    @Test func threePushesToANewAppReleaseOnlyTheCommitMainGets() async throws {
        let bed = Testbed()
        let key = try await bed.user("dev@example.com")
        try await bed.app("web1", owner: "dev@example.com")
        var sources: [String] = []
        var commits: [String] = []
        for pusher in 0..<3 {
            sources.append(bed.directory.appending("source\(pusher)"))
            commits.append(try await GitFixture.repository(at: sources[pusher], files: GitFixture.webApp.merging(["README": "pusher \(pusher)\n"]) { $1 }))
        }

        try await DaemonProcess.with(dataDir: bed.data) { daemon in
            let ssh = SSHClient(port: daemon.sshPort, key: key)
            let results = try await bed.racingPushes(sources, app: "web1", ssh: ssh)

            let winners = results.indices.filter { results[$0].status == 0 }
            try #require(winners.count == 1, "\(results.map(\.stderr))")
            let winner = winners[0]
            let main = try await GitFixture.commit(of: "refs/heads/main", inBare: bed.repo("web1"))
            #expect(main == commits[winner])
            for loser in results.indices where loser != winner {
                let output = results[loser].stderr
                #expect(results[loser].status != 0)
                #expect(output.contains(" !     [rejected] main (fetch first)"), "\(output)")
                #expect(output.contains(" !     main was created since this push started (another push made it \(commits[winner].prefix(7)));"), "\(output)")
                #expect(output.contains(" !     Nothing was built or released."), "\(output)")
                #expect(output.contains("git pull"), "\(output)")
                #expect(!output.contains("Building on the"), "the loser built:\n\(output)")
                #expect(!output.contains("Released v"), "\(output)")
            }
            let releases = try await bed.releases("web1")
            #expect(releases.map(\.description) == ["Initial release", "Deploy \(commits[winner].prefix(7))"])
            #expect(releases.last?.current == true)
            #expect(try await bed.builds("web1").sorted() == ["failed", "failed", "succeeded"])
        }
    }

    @Test func aPushWhoseBranchMovedWhileItWaitedIsRefusedBeforeBuilding() async throws {
        let bed = Testbed()
        let key = try await bed.user("dev@example.com")
        try await bed.app("web1", owner: "dev@example.com")
        let base = bed.directory.appending("base")
        let first = try await GitFixture.repository(at: base)

        try await DaemonProcess.with(dataDir: bed.data) { daemon in
            let ssh = SSHClient(port: daemon.sshPort, key: key)
            try await GitFixture.git(["push", ssh.url("web1"), "main"], in: base, environment: ssh.gitEnvironment)
            // Two people build on v2's commit; both pushes expect main at it.
            var sources: [String] = []
            var commits: [String] = []
            for pusher in 0..<2 {
                let source = bed.directory.appending("clone\(pusher)")
                try await GitFixture.git(["clone", "-q", base, source], in: bed.directory.path)
                try "pusher \(pusher)\n".write(toFile: source + "/README", atomically: true, encoding: .utf8)
                try await GitFixture.git(
                    ["-c", "user.email=test@example.com", "-c", "user.name=Test", "commit", "-q", "-am", "change \(pusher)"], in: source)
                sources.append(source)
                commits.append(try await GitFixture.git(["rev-parse", "HEAD"], in: source).trimmingCharacters(in: .whitespacesAndNewlines))
            }
            let results = try await bed.racingPushes(sources, app: "web1", ssh: ssh)

            let winners = results.indices.filter { results[$0].status == 0 }
            try #require(winners.count == 1, "\(results.map(\.stderr))")
            let (winner, loser) = (winners[0], 1 - winners[0])
            #expect(try await GitFixture.commit(of: "refs/heads/main", inBare: bed.repo("web1")) == commits[winner])
            let output = results[loser].stderr
            #expect(output.contains(" !     [rejected] main (fetch first)"), "\(output)")
            #expect(
                output.contains(
                    " !     main moved since this push started (another push updated it): it is at \(commits[winner].prefix(7)), this push expected \(first.prefix(7))."),
                "\(output)")
            #expect(!output.contains("Building on the"), "the stale push built:\n\(output)")
            let releases = try await bed.releases("web1")
            #expect(releases.map(\.description) == ["Initial release", "Deploy \(first.prefix(7))", "Deploy \(commits[winner].prefix(7))"])
            #expect(releases.last?.current == true)
        }
    }
}

extension Testbed {
    /// Pushes `main` of each work tree to `app` at once, so that every push has read the
    /// branch before any of them can move it: the test holds the app's build lock (as a
    /// build would) until each push waits for it with a pending build, then lets them race.
    /// - Returns: each push's result, in the order of `sources`.
    func racingPushes(_ sources: [String], app: String, ssh: SSHClient) async throws -> [ProcessResult] {
        try FileManager.default.createDirectory(atPath: data + "/run/locks", withIntermediateDirectories: true)
        let lock = open(data + "/run/locks/build-\(app).lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        try #require(lock >= 0 && flock(lock, LOCK_EX) == 0)
        let holder = Array("the test's own build\n".utf8)
        _ = pwrite(lock, holder, holder.count, 0)
        var released = false
        defer { if !released { close(lock) } }
        let before = try await builds(app).count
        let pushes = sources.map { source in
            Task {
                try await ProcessRunner.run("/usr/bin/git", ["-C", source, "push", ssh.url(app), "main"], environment: ssh.gitEnvironment)
            }
        }
        // Each push has said it waits (in its build's log) before the lock is let go: a pending
        // build alone may still be on its way to the lock.
        let waiting = try await eventually(seconds: 120) { try await waitingBuilds(app) == sources.count }
        close(lock)
        released = true
        var results: [ProcessResult] = []
        for push in pushes { results.append(try await push.value) }
        try #require(waiting, "the pushes never all waited for the build lock: \(results.map(\.stderr))")
        #expect(try await builds(app).count == before + sources.count)
        for result in results {
            #expect(result.stderr.contains("Waiting for the test's own build to finish"), "\(result.stderr)")
        }
        return results
    }

    /// How many of an app's pending builds have written that they wait for the build lock.
    func waitingBuilds(_ app: String) async throws -> Int {
        let result = try await admin("builds", app, "--json")
        let list = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]] ?? []
        return list.filter { build in
            guard build["status"] as? String == "pending", let id = (build["id"] as? String)?.lowercased() else { return false }
            let log = (try? String(contentsOfFile: data + "/logs/builds/\(id).log", encoding: .utf8)) ?? ""
            return log.contains("Waiting for")
        }.count
    }

    /// The statuses of an app's builds.
    func builds(_ app: String) async throws -> [String] {
        let result = try await admin("builds", app, "--json")
        let list = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]] ?? []
        return list.compactMap { $0["status"] as? String }
    }

    /// An app's releases, oldest first.
    func releases(_ app: String) async throws -> [(description: String, current: Bool)] {
        let result = try await admin("releases", app, "--json")
        let list = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]] ?? []
        return list.sorted { ($0["version"] as? Int ?? 0) < ($1["version"] as? Int ?? 0) }.map {
            (($0["description"] as? String) ?? "", ($0["is_current"] as? Bool) ?? false)
        }
    }
}
