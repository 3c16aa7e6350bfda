import Foundation
import OpenrukoCore
import Testing
import TestSupport

/// The window between a push's pre-receive hook and git's ref update: the push that deployed
/// keeps the app's build lock until git has moved the branch, so a push waiting for its turn
/// reads the moved branch and is refused instead of building and releasing a commit that
/// `main` will never contain.
@Suite(.serialized, .timeLimit(.minutes(15))) struct PushRaceTests {
    @Test func theBuildLockIsHeldUntilGitHasMovedTheBranch() async throws {
        let fixture = try await BuildFixture.make()
        try await fixture.createApp("race1")
        let first = try await fixture.repository(GitFixture.webApp, name: "first")
        let second = try await fixture.repository(GitFixture.webApp.merging(["README": "second\n"]) { $1 }, name: "second")
        let gate = try PreparedGate(in: fixture.directory)

        let deploying = Task { try await fixture.push(first, app: "race1", hooks: gate.hooks) }
        defer { gate.letGo() }
        let paused = await PreparedGate.eventually { FileManager.default.fileExists(atPath: gate.paused) }
        try #require(paused, "git never reached the prepared state")
        // The first push released and git holds main's lock, about to move it.
        #expect(try await fixture.ref("race1") == "")
        #expect(!fixture.isBuildLockFree("race1"), "the build lock ended with the hook, before git moved main")

        let waiting = Task { try await fixture.push(second, app: "race1", hooks: gate.hooks) }
        // The second push's build record exists once its hook runs (it then waits for the lock).
        let queued = await PreparedGate.eventually { (try? await fixture.buildStatuses("race1").count) == 2 }
        gate.letGo()
        let deployed = try await deploying.value
        let refused = try await waiting.value
        try #require(queued, "the second push never reached its hook: \(refused.stderr)")

        #expect(deployed.status == 0, "\(deployed.stderr)")
        let main = try await fixture.ref("race1")
        #expect(main == (try await fixture.git(["rev-parse", "HEAD"], in: first)).stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(refused.status != 0)
        #expect(refused.stderr.contains(" !     [rejected] main (fetch first)"), "\(refused.stderr)")
        #expect(refused.stderr.contains("main was created since this push started (another push made it \(main.prefix(7)))"), "\(refused.stderr)")
        #expect(!refused.stderr.contains("Building on the"), "\(refused.stderr)")
        #expect(try await fixture.releases("race1").map(\.description) == ["Initial release", "Deploy \(main.prefix(7))"])
        #expect(fixture.isBuildLockFree("race1"), "the lock outlived both pushes")
    }

    @Test func deletingADeployBranchTakesTheLockUntilGitDeletedIt() async throws {
        let fixture = try await BuildFixture.make()
        try await fixture.createApp("race2")
        let repo = try await fixture.repository(GitFixture.webApp)
        let pushed = try await fixture.push(repo, app: "race2", ref: "main:master")
        try #require(pushed.status == 0, "\(pushed.stderr)")
        #expect(fixture.isBuildLockFree("race2"))

        let deleted = try await fixture.push(repo, app: "race2", ref: ":master")
        #expect(deleted.status == 0, "\(deleted.stderr)")
        #expect(deleted.stderr.contains("Deleting refs/heads/master (nothing to deploy)"), "\(deleted.stderr)")
        #expect(try await fixture.ref("race2", "refs/heads/master") == "")
        #expect(fixture.isBuildLockFree("race2"), "the deletion kept the lock after git deleted the branch")
        let holder = try String(contentsOfFile: DataLayout(root: fixture.dataDir).lock("build-race2"), encoding: .utf8)
        #expect(holder == "deletion of master by dev@example.com\nuntil refs/heads/master\n")
    }
}

/// A reference-transaction hook that stops the first transaction in git's `prepared` state
/// (the ref locked, its old value verified, not yet moved) until the test opens the gate,
/// then runs openruko's own hook; pre-receive is openruko's.
struct PreparedGate {
    let hooks: String
    /// Created when the first transaction reached `prepared`.
    let paused: String
    private let fifo: String

    init(in directory: TemporaryDirectory) throws {
        hooks = directory.appending("gate-hooks")
        paused = directory.appending("gate-paused")
        fifo = directory.appending("gate-fifo")
        try FileManager.default.createDirectory(atPath: hooks, withIntermediateDirectories: true)
        try #require(mkfifo(fifo, 0o600) == 0)
        let real = OpenrukoBinary.packageRoot + "/hooks"
        try FileManager.default.createSymbolicLink(atPath: hooks + "/pre-receive", withDestinationPath: real + "/pre-receive")
        // fd 3 opened read-write does not block; `read -t` bounds the pause if the test fails.
        let script = """
            #!/bin/bash
            if [ "$1" = prepared ] && [ ! -e '\(paused)' ]; then exec 3<> '\(fifo)'; : > '\(paused)'; read -t 120 -u 3 _; exec 3<&-; fi
            exec '\(real)/reference-transaction' "$@"

            """
        try script.write(toFile: hooks + "/reference-transaction", atomically: true, encoding: .utf8)
        chmod(hooks + "/reference-transaction", 0o755)
    }

    /// Lets the paused transaction go on (nothing happens when none is paused).
    func letGo() {
        let descriptor = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        _ = write(descriptor, "go\n", 3)
        close(descriptor)
    }

    /// Waits (up to two minutes) until `condition` holds; returns whether it did.
    static func eventually(_ condition: () async -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return await condition()
    }
}

extension BuildFixture {
    /// `git push` of main through openruko's receive-pack invocation, with git's hooks
    /// taken from `hooks` instead of the checkout's.
    func push(_ path: String, app: String, hooks: String) async throws -> ProcessResult {
        let invocation = GitService.receivePack.invocation(
            app: app, layout: DataLayout(root: dataDir), resources: Resources(root: OpenrukoBinary.packageRoot), pusher: userID,
            executable: OpenrukoBinary.path)
        let arguments = invocation.arguments.map { $0.hasPrefix("core.hooksPath=") ? "core.hooksPath=\(hooks)" : $0 }
        let command = (["env"] + invocation.environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" } + [invocation.executable]
            + arguments.dropLast()).joined(separator: " ")
        return try await ProcessRunner.run("/usr/bin/git", ["push", "--receive-pack=\(command)", arguments.last!, "main"], directory: path)
    }

    /// Whether another build could take the app's build lock now.
    func isBuildLockFree(_ app: String) -> Bool {
        let descriptor = open(DataLayout(root: dataDir).lock("build-\(app)"), O_RDWR | O_CLOEXEC)
        guard descriptor >= 0 else { return true }
        defer { close(descriptor) }
        return flock(descriptor, LOCK_EX | LOCK_NB) == 0
    }

    /// The statuses of the app's builds.
    func buildStatuses(_ app: String) async throws -> [String] {
        let result = try await admin(["builds", app, "--json"])
        let list = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]] ?? []
        return list.compactMap { $0["status"] as? String }
    }
}
