import Foundation
import TestSupport
import Testing

/// `OPENRUKO_DISK_BUDGET` with a real daemon and real pushes over SSH: a push that would take
/// `DATA_DIR` over the budget is refused before it builds (the branch and the releases stay),
/// a push while `DATA_DIR` is already over is refused before git writes anything, and once
/// space is freed pushes go through again.
@Suite(.timeLimit(.minutes(10))) struct PushBudgetTests {
    static let budget: Int64 = 300 << 20

    func du(_ path: String) async throws -> Int64 {
        let result = try await ProcessRunner.run("/usr/bin/du", ["-sb", path])
        return try #require(Int64(result.stdout.split(separator: "\t").first ?? ""), "\(result.stderr)")
    }

    /// Makes `DATA_DIR/filler` (real blocks, as an admin's file would take) so that `DATA_DIR`
    /// uses `target` bytes.
    func fill(_ fixture: ContainerFixture, to target: Int64) async throws {
        let filler = fixture.dataDir + "/filler"
        try? FileManager.default.removeItem(atPath: filler)
        let size = target - (try await du(fixture.dataDir))
        try #require(size > 0)
        let made = try await ProcessRunner.run("/usr/bin/fallocate", ["-l", "\(size)", filler])
        try #require(made.status == 0, "\(made.stderr)")
    }

    func releases(_ fixture: ContainerFixture, _ app: String) async throws -> String {
        try await fixture.admin(["releases", app]).stdout
    }

    @Test func aPushOverTheBudgetIsRefusedBeforeItBuildsAndNothingChanges() async throws {
        // DATA_DIR on a filesystem of its own, as an admin with a budget would have it: other
        // tests deleting on a shared one would hide the growth the budget's estimate counts
        let fixture = try await ContainerFixture.start(
            environment: ["OPENRUKO_DISK_BUDGET": "300M", "OPENRUKO_GC_INTERVAL": "0"], ownFilesystem: "600m")
        // Stopped (and its tmpfs unmounted) before the test returns, whatever happened
        do {
            try await refusesAndRecovers(fixture)
        } catch {
            await fixture.stop()
            throw error
        }
        await fixture.stop()
    }

    func refusesAndRecovers(_ fixture: ContainerFixture) async throws {
        try await fixture.admin(["apps:create", "tight"])
        // Given a deployed app
        let repo = try await fixture.repository(["Procfile": "worker: sleep 1000\n", "n": "1\n"])
        let first = try await fixture.push(repo, app: "tight")
        #expect(first.status == 0, "\(first.stderr)")
        let deployed = try await fixture.ref("tight")
        let before = try await releases(fixture, "tight")

        // When DATA_DIR is 40 MB under its budget and a push brings 60 MB (incompressible)
        try await fill(fixture, to: Self.budget - (40 << 20))
        let blob = try await ProcessRunner.run("/bin/sh", ["-c", "head -c 62914560 /dev/urandom > blob"], directory: repo)
        try #require(blob.status == 0)
        try await fixture.change(repo, ["n": "2\n"], message: "a big blob")
        let big = try await fixture.head(repo)
        let refused = try await fixture.push(repo, app: "tight")

        // Then it is refused before building, saying what is over, by how much and what to do
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("Push rejected: openruko's disk budget is used up."), "\(refused.stderr)")
        #expect(refused.stderr.contains("may use 300 MB (OPENRUKO_DISK_BUDGET)"), "\(refused.stderr)")
        #expect(refused.stderr.contains("and this push brings 60"), "\(refused.stderr)")
        #expect(refused.stderr.contains("over. Nothing was built or changed."), "\(refused.stderr)")
        #expect(refused.stderr.contains("openruko admin disk") && refused.stderr.contains("destroy apps"), "\(refused.stderr)")
        #expect(!refused.stderr.contains("Building on the"), "it built: \(refused.stderr)")
        // And the branch, the releases and the pushed objects are as before
        #expect(try await fixture.ref("tight") == deployed)
        #expect(try await releases(fixture, "tight") == before)
        let object = try await ProcessRunner.run("/usr/bin/git", ["--git-dir", fixture.dataDir + "/repos/tight.git", "cat-file", "-e", big])
        #expect(object.status != 0, "the refused push's commit is in the repository")

        // When DATA_DIR alone is over its budget, even a small push is refused before git writes
        try await fill(fixture, to: Self.budget + (5 << 20))
        try FileManager.default.removeItem(atPath: repo + "/blob")
        try await fixture.change(repo, ["n": "3\n"], message: "small")
        let small = try await fixture.push(repo, app: "tight")
        #expect(small.status != 0)
        #expect(small.stderr.contains("Push rejected: openruko's disk budget is used up."), "\(small.stderr)")
        #expect(!small.stderr.contains("this push brings"), "\(small.stderr)")
        #expect(!small.stderr.contains("-----> "), "the hook ran: \(small.stderr)")
        #expect(try await fixture.ref("tight") == deployed)

        // And once an admin frees space, the push goes through
        try FileManager.default.removeItem(atPath: fixture.dataDir + "/filler")
        let freed = try await fixture.push(repo, app: "tight")
        #expect(freed.status == 0, "\(freed.stderr)")
        #expect(try await fixture.ref("tight") == (try await fixture.head(repo)))
    }

    @Test func aBadBudgetStopsTheDaemonAtStartWithAClearError() async throws {
        let directory = TemporaryDirectory("openruko-budget")
        _ = try await OpenrukoBinary.admin(["users:create", "dev@example.com", "--admin"], dataDir: directory.appending("data"))
        for (key, value) in [("OPENRUKO_DISK_BUDGET", "lots"), ("OPENRUKO_BUILD_CACHE_MAX", "1Q")] {
            let result = try await ProcessRunner.run(
                OpenrukoBinary.path,
                ["daemon", "--data-dir", directory.appending("data"), "--api-listen", "127.0.0.1:0", "--router-listen", "127.0.0.1:0",
                    "--router-tls-listen", "127.0.0.1:0", "--ssh-listen", "127.0.0.1:0", "--rendezvous-listen", "127.0.0.1:0"],
                environment: [key: value])
            #expect(result.status != 0)
            #expect(result.stderr.contains("\(key) must be a size such as"), "\(result.stderr)")
        }
    }
}
