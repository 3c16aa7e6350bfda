import Foundation
import OpenrukoCore
import Operations
import Store
import TestSupport
import Testing

@Suite(.timeLimit(.minutes(15))) struct AuthorizationTests {
    @Test func ownersCollaboratorsAndAdminsActOthersAreRefused() throws {
        let installation = try TestInstallation()
        let platform = installation.platform
        let (admin, owner) = try installation.seedUsers()
        let stranger = try platform.createUser(email: "stranger@example.com", admin: false, as: .superuser)
        let app = try platform.createApp(name: "web1", owner: nil, as: .user(owner))
        #expect(app.ownerEmail == owner.email)

        #expect(try platform.app("web1", as: .user(owner)).id == app.id)
        #expect(try platform.app("web1", as: .user(admin)).id == app.id)
        #expect(try platform.app("web1", as: .superuser).id == app.id)
        #expect(throws: OpenrukoError.appNotFound) { try platform.app("web1", as: .user(stranger)) }
        #expect(throws: OpenrukoError.appNotFound) { try platform.app("nope", as: .user(owner)) }

        _ = try platform.addCollaborator("web1", email: stranger.email, as: .user(owner))
        #expect(try platform.app(app.id.uuidString, as: .user(stranger)).name == "web1")
        #expect(try platform.apps(as: .user(stranger)).map(\.name) == ["web1"])
    }

    @Test func onlyAdminsManageOtherUsers() async throws {
        let installation = try TestInstallation()
        let platform = installation.platform
        let (admin, user) = try installation.seedUsers()
        #expect(throws: OpenrukoError.self) { try platform.createUser(email: "x@example.com", admin: false, as: .user(user)) }
        #expect(throws: OpenrukoError.self) { try platform.users(as: .user(user)) }
        let key = try await TestKey.generate("ed25519", in: installation.directory.path).publicKey
        #expect(throws: OpenrukoError.adminOnly("add keys for other users")) {
            try platform.addKey(key, name: nil, user: admin.email, as: .user(user))
        }
        let added = try platform.addKey(key, name: nil, user: user.email, as: .user(admin))
        #expect(added.userEmail == user.email)
        #expect(try platform.keys(user: nil, as: .user(user)).count == 1)
        #expect(throws: OpenrukoError.self) { try platform.destroyUser(email: admin.email, as: .superuser) }
    }

    @Test func destroyingNeedsOwnerOrAdminAndConfirmation() async throws {
        let repositories = InMemoryRepositories()
        let installation = try TestInstallation(repositories: repositories)
        let platform = installation.platform
        let (_, owner) = try installation.seedUsers()
        let helper = try platform.createUser(email: "helper@example.com", admin: false, as: .superuser)
        _ = try platform.createApp(name: "web1", owner: nil, as: .user(owner))
        _ = try platform.addCollaborator("web1", email: helper.email, as: .user(owner))
        await #expect(throws: OpenrukoError.self) { try await platform.destroyApp("web1", confirm: "web1", as: .user(helper)) }
        await #expect(throws: OpenrukoError.self) { try await platform.destroyApp("web1", confirm: nil, as: .user(owner)) }
        #expect(repositories.contains("web1"))
        _ = try await platform.destroyApp("web1", confirm: "web1", as: .user(owner))
        #expect(!repositories.contains("web1"))
        #expect(try installation.store.app("web1") == nil)
    }
}
