import Foundation
import OpenrukoCore
import Store
import TestSupport
import Testing

@Suite(.timeLimit(.minutes(15))) struct StoreTests {
    @Test func reopeningMigratesNothingTwice() throws {
        let directory = TemporaryDirectory()
        let path = directory.appending("db.sqlite3")
        let first = try PlatformStore(path: path)
        _ = try first.createUser(email: "a@example.com", isAdmin: true)
        let second = try PlatformStore(path: path)
        #expect(try second.users().map(\.email) == ["a@example.com"])
    }

    @Test func appsStartAtInitialReleaseAndVersionsAreSequential() throws {
        let installation = try TestInstallation()
        let store = installation.store
        let owner = try store.createUser(email: "o@example.com", isAdmin: false)
        let app = try store.createApp(name: "web1", ownerID: owner.id, stack: "host", actor: Attribution(owner))
        let initial = try #require(try store.currentRelease(appID: app.id))
        #expect(initial.version == 1)
        #expect(initial.description == "Initial release")
        for i in 0..<5 {
            _ = try store.updateConfig(
                appID: app.id, set: ["K\(i)": "v"], unset: [], description: "x", actor: Attribution(owner), status: .succeeded)
        }
        #expect(try store.releases(appID: app.id).map(\.version) == Array(1...6))
        #expect(try store.currentRelease(appID: app.id)?.config.count == 5)
    }

    @Test func decidedReleasesAreImmutable() throws {
        let installation = try TestInstallation()
        let store = installation.store
        let owner = try store.createUser(email: "o@example.com", isAdmin: false)
        let app = try store.createApp(name: "web1", ownerID: owner.id, stack: "host", actor: Attribution(owner))
        let pending = try store.createRelease(appID: app.id, slugID: nil, description: "d", actor: Attribution(owner), status: .pending)
        #expect(try store.currentRelease(appID: app.id)?.version == 1)
        let decided = try store.setReleaseStatus(id: pending.id, .succeeded)
        #expect(decided.isCurrent)
        #expect(throws: OpenrukoError.self) { try store.setReleaseStatus(id: pending.id, .failed) }
        #expect(try store.release(id: pending.id)?.status == .succeeded)
    }

    @Test func keysAreFoundByFingerprint() async throws {
        let installation = try TestInstallation()
        let store = installation.store
        let owner = try store.createUser(email: "o@example.com", isAdmin: false)
        let key = try PublicKey(parsing: try await TestKey.generate("ed25519", in: installation.directory.path).publicKey)
        let stored = try store.addKey(userID: owner.id, name: "laptop", key: key)
        let found = try #require(try store.key(fingerprint: key.fingerprint))
        #expect(found.0.id == stored.id)
        #expect(found.1.email == "o@example.com")
        #expect(throws: OpenrukoError.self) { try store.addKey(userID: owner.id, name: "again", key: key) }
    }

    @Test func formationFollowsProcessTypes() throws {
        let installation = try TestInstallation()
        let store = installation.store
        let owner = try store.createUser(email: "o@example.com", isAdmin: false)
        let app = try store.createApp(name: "web1", ownerID: owner.id, stack: "host", actor: Attribution(owner))
        var formation = try store.applyProcessTypes(appID: app.id, ["web": "a", "worker": "b", "release": "c"])
        #expect(formation.map(\.type) == ["web", "worker"])
        #expect(formation.map(\.quantity) == [1, 0])
        _ = try store.scale(appID: app.id, [("worker", 3, nil)])
        formation = try store.applyProcessTypes(appID: app.id, ["worker": "b2"])
        #expect(formation.map(\.type) == ["worker"])
        #expect(formation[0].quantity == 3)
        #expect(formation[0].command == "b2")
    }
}
