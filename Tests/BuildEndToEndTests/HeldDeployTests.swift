import Foundation
import OpenrukoCore
import Testing
import TestSupport

/// A push's release goes live only once git has moved the branch: the pre-receive hook leaves
/// a release that passed its checks `pending`, the reference-transaction hook lands it when git
/// commits the ref, and the daemon settles the ones whose push ended between the two by where
/// the branch is. Before this, a hook killed after its release succeeded left a live release
/// whose commit `main` never got (a fault-injection run found it).
@Suite(.serialized, .timeLimit(.minutes(10))) struct HeldDeployTests {
    @Test func aReleaseWhoseRefUpdateGitAbortedNeverGoesLive() async throws {
        let fixture = try await BuildFixture.make()
        try await fixture.createApp("held1")
        let repo = try await fixture.repository(GitFixture.webApp)
        // git aborts the ref update after pre-receive accepted the push (a ref it could not lock,
        // a receive-pack killed at that moment): the prepared transaction fails.
        let hooks = try Self.hooks(in: fixture.directory, name: "abort", script: #"[ "$1" = prepared ] && exit 1"#)
        let pushed = try await fixture.push(repo, app: "held1", hooks: hooks)
        #expect(pushed.status != 0, "\(pushed.stderr)")
        #expect(pushed.stderr.contains("Released v2"), "the build did not get as far as its release: \(pushed.stderr)")
        #expect(try await fixture.ref("held1") == "")
        #expect(try await fixture.releases("held1").map(\.status) == ["succeeded", "pending"], "the release was decided before git")
        #expect(fixture.isBuildLockFree("held1"))

        // The daemon decides it: the branch did not move, so it failed.
        let daemon = try await DaemonProcess.start(dataDir: fixture.dataDir)
        _ = await daemon.stop()
        #expect(try await fixture.releases("held1").map(\.status) == ["succeeded", "failed"])
    }

    @Test func aReleaseWhoseBranchMovedLandsEvenIfItsHookDidNot() async throws {
        let fixture = try await BuildFixture.make()
        try await fixture.createApp("held2")
        let repo = try await fixture.repository(GitFixture.webApp)
        // The reference-transaction hook dies once git committed the branch, before landing the
        // release (receive-pack then ends and the kernel frees the lock).
        let hooks = try Self.hooks(in: fixture.directory, name: "die", script: #"[ "$1" = committed ] && exit 0"#)
        let pushed = try await fixture.push(repo, app: "held2", hooks: hooks)
        #expect(pushed.status == 0, "\(pushed.stderr)")
        let head = try await fixture.git(["rev-parse", "HEAD"], in: repo).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try await fixture.ref("held2") == head)
        #expect(try await fixture.releases("held2").map(\.status) == ["succeeded", "pending"])

        let daemon = try await DaemonProcess.start(dataDir: fixture.dataDir)
        _ = await daemon.stop()
        let releases = try await fixture.releases("held2")
        #expect(releases.map(\.status) == ["succeeded", "succeeded"])
        #expect(releases.last?.description == "Deploy \(head.prefix(7))")
    }

    @Test func anOrdinaryPushLandsItsReleaseBeforeGitAnswers() async throws {
        let fixture = try await BuildFixture.make()
        try await fixture.createApp("held3")
        let repo = try await fixture.repository(GitFixture.webApp)
        let pushed = try await fixture.push(repo, app: "held3")
        #expect(pushed.status == 0, "\(pushed.stderr)")
        #expect(try await fixture.releases("held3").map(\.status) == ["succeeded", "succeeded"])
        #expect(fixture.isBuildLockFree("held3"))
    }

    /// A hooks directory: openruko's pre-receive, and a reference-transaction hook that runs
    /// `script` first (with git's state as `$1`), then openruko's own.
    static func hooks(in directory: TemporaryDirectory, name: String, script: String) throws -> String {
        let hooks = directory.appending("hooks-\(name)")
        let real = OpenrukoBinary.packageRoot + "/hooks"
        try FileManager.default.createDirectory(atPath: hooks, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: hooks + "/pre-receive", withDestinationPath: real + "/pre-receive")
        let text = "#!/bin/bash\n\(script)\nexec '\(real)/reference-transaction' \"$@\"\n"
        try text.write(toFile: hooks + "/reference-transaction", atomically: true, encoding: .utf8)
        chmod(hooks + "/reference-transaction", 0o755)
        return hooks
    }
}
