import Foundation
import OpenrukoCore
import Operations
import Store
import TestSupport
import Testing

/// A release phase that answers as told and records what it ran.
final class ScriptedReleasePhase: ReleasePhaseRunner, @unchecked Sendable {
    // @unchecked: `commands` is only touched while holding `lock`.
    private let lock = NSLock()
    private var commands: [String] = []
    let succeeds: Bool

    init(succeeds: Bool) { self.succeeds = succeeds }

    func runReleasePhase(
        app: App, release: Release, slug: Slug, command: String, output: @escaping @Sendable (String) -> Void
    ) async -> Bool {
        lock.withLock { commands.append(command) }
        output("running \(command)")
        return succeeds
    }

    var ran: [String] { lock.withLock { commands } }
}

@Suite(.timeLimit(.minutes(15))) struct ReleaseTests {
    @Test func configChangesAndRollbacksAreReleasesAsOnHeroku() async throws {
        let installation = try TestInstallation()
        let platform = installation.platform
        let (_, user) = try installation.seedUsers()
        _ = try platform.createApp(name: "web1", owner: nil, as: .user(user))

        let v2 = try #require(try await platform.updateConfig("web1", set: ["FOO": "1", "BAR": "line1\nline2"], unset: [], as: .user(user)))
        #expect(v2.version == 2)
        #expect(v2.description == "Set BAR, FOO config vars")
        // The same value again (as `config:set` over SSH or the API) makes no release.
        #expect(try await platform.updateConfig("web1", set: ["FOO": "1"], unset: ["ABSENT"], as: .user(user)) == nil)
        let v3 = try #require(try await platform.updateConfig("web1", set: [:], unset: ["FOO"], as: .user(user)))
        #expect(v3.version == 3)
        #expect(v3.description == "Remove FOO config vars")
        #expect(try platform.config("web1", as: .user(user)).1 == ["BAR": "line1\nline2"])

        let v4 = try await platform.rollback("web1", to: 2, as: .user(user))
        #expect(v4.description == "Rollback to v2")
        #expect(v4.config == ["FOO": "1", "BAR": "line1\nline2"])
        #expect(try platform.config("web1", as: .user(user)).1 == v4.config)
        #expect(v4.userEmail == user.email)

        let previous = try await platform.rollback("web1", to: nil, as: .user(user))
        #expect(previous.description == "Rollback to v3")
        await #expect(throws: OpenrukoError.self) { try await platform.rollback("web1", to: 99, as: .user(user)) }
        #expect(try platform.releases("web1", as: .user(user)).1.map(\.version) == [1, 2, 3, 4, 5])
    }

    @Test func aFailingReleasePhaseKeepsTheCurrentRelease() async throws {
        let phase = ScriptedReleasePhase(succeeds: false)
        let installation = try TestInstallation(releasePhase: phase)
        let platform = installation.platform
        let (_, user) = try installation.seedUsers()
        let app = try platform.createApp(name: "web1", owner: nil, as: .user(user))
        let slug = try installation.store.createSlug(
            appID: app.id, processTypes: ["web": "serve", "release": "migrate"], size: 10, checksum: "SHA256:x",
            commit: "abcdef1234", commitDescription: nil, buildpackDescription: nil, stack: "host")
        let release = try await platform.deploy(app, slug: slug, actor: Attribution(user))
        #expect(release.status == .failed)
        #expect(release.description == "Deploy abcdef1")
        #expect(phase.ran == ["migrate"])
        #expect(try installation.store.currentRelease(appID: app.id)?.version == 1)
        #expect(try installation.store.formation(appID: app.id).isEmpty)
    }

    @Test func aSucceedingDeploySetsTheDefaultFormation() async throws {
        let phase = ScriptedReleasePhase(succeeds: true)
        let installation = try TestInstallation(releasePhase: phase)
        let platform = installation.platform
        let (_, user) = try installation.seedUsers()
        let app = try platform.createApp(name: "web1", owner: nil, as: .user(user))
        let slug = try installation.store.createSlug(
            appID: app.id, processTypes: ["web": "serve", "worker": "work", "release": "migrate"], size: 10, checksum: "SHA256:x",
            commit: "abcdef1234", commitDescription: nil, buildpackDescription: nil, stack: "host")
        let release = try await platform.deploy(app, slug: slug, actor: Attribution(user))
        #expect(release.status == .succeeded)
        #expect(release.isCurrent)
        let formation = try installation.store.formation(appID: app.id)
        #expect(formation.map { "\($0.type)=\($0.quantity)" } == ["web=1", "worker=0"])

        // A config change runs the release phase again, with the same slug.
        _ = try await platform.updateConfig("web1", set: ["A": "1"], unset: [], as: .user(user))
        #expect(phase.ran == ["migrate", "migrate"])

        let scaled = try await platform.scale("web1", [try FormationChange(parsing: "worker+2")], as: .user(user))
        #expect(scaled.first?.quantity == 2)
        await #expect(throws: OpenrukoError.self) {
            try await platform.scale("web1", [try FormationChange(parsing: "clock=1")], as: .user(user))
        }
    }

    @Test func aHeldDeployWaitsForItsBranchAndIsDecidedByIt() async throws {
        let installation = try TestInstallation(releasePhase: ScriptedReleasePhase(succeeds: true))
        let platform = installation.platform
        let (_, user) = try installation.seedUsers()
        let app = try platform.createApp(name: "web1", owner: nil, as: .user(user))
        var held: [HeldDeploy] = []
        for commit in ["aaaaaaa111", "bbbbbbb222"] {
            let slug = try installation.store.createSlug(
                appID: app.id, processTypes: ["web": "serve", "release": "migrate"], size: 10, checksum: "SHA256:x",
                commit: commit, commitDescription: nil, buildpackDescription: nil, stack: "host")
            let build = try platform.recordBuild(appID: app.id, commit: commit, buildpacks: [], actor: Attribution(user))
            let release = try await platform.deploy(app, slug: slug, actor: Attribution(user), holdUntilRef: true)
            #expect(release.status == .pending, "a held release is decided by git, not by the deploy")
            _ = try platform.finishBuild(id: build.id, status: .succeeded, output: "", slugID: slug.id, releaseID: release.id)
            held.append(HeldDeploy(release: release, commit: commit))
        }
        #expect(try platform.heldDeploys(appID: app.id).map { "\($0.release.id) \($0.commit)" } == held.map { "\($0.release.id) \($0.commit)" })
        #expect(try installation.store.currentRelease(appID: app.id)?.version == 1)

        // The outcome: by where the branch is, never while someone holds the app's build lock.
        #expect(held[0].outcome(branchCommits: ["aaaaaaa111"], lockedByOther: false) == .land)
        #expect(held[0].outcome(branchCommits: ["bbbbbbb222"], lockedByOther: false) == .fail)
        #expect(held[0].outcome(branchCommits: [], lockedByOther: false) == .fail)
        #expect(held[0].outcome(branchCommits: ["aaaaaaa111"], lockedByOther: true) == .wait)

        #expect(await platform.settle(held[0], of: app, landed: false).status == .failed)
        let landed = await platform.settle(held[1], of: app, landed: true)
        #expect(landed.status == .succeeded)
        #expect(landed.isCurrent)
        #expect(try installation.store.formation(appID: app.id).map { "\($0.type)=\($0.quantity)" } == ["web=1"])
        #expect(try platform.heldDeploys(appID: app.id).isEmpty)
        // Decided once: settling again changes nothing.
        #expect(await platform.settle(held[0], of: app, landed: true).status == .failed)
    }
}
