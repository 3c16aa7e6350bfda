import Foundation
import OpenrukoCore
import Store
import TestSupport
import Testing

/// The add-on records (Migration0007Addons): attaching sets the URL vars in one new release,
/// detaching removes those that still hold it, names are unique, and an app's removal takes
/// its add-ons' records with it.
@Suite(.timeLimit(.minutes(5))) struct AddonStoreTests {
    static func addon(_ app: App, name: String = "postgresql-curved-12345", attachment: String = "DATABASE") -> Addon {
        Addon(
            id: UUID(), name: name, appID: app.id, appName: app.name, service: "heroku-postgresql", plan: "essential-0",
            attachmentName: attachment, configVars: attachment == "DATABASE" ? ["DATABASE_URL", "HEROKU_POSTGRESQL_RED_URL"] : [attachment + "_URL"],
            credentials: DatabaseCredentials(host: "10.212.0.1", port: 16000, database: "dabc", role: "dabc", password: String(repeating: "a", count: 64)),
            createdAt: Date(), updatedAt: Date())
    }

    @Test func attachingAndDetachingAreReleases() throws {
        let installation = try TestInstallation()
        let store = installation.store
        let owner = try store.createUser(email: "o@example.com", isAdmin: false)
        let app = try store.createApp(name: "web1", ownerID: owner.id, stack: "host", actor: Attribution(owner))
        let addon = Self.addon(app)
        let (_, attach) = try store.createAddon(addon, actor: Attribution(owner), status: .succeeded)
        #expect(attach.version == 2 && attach.description == "Attach DATABASE (@ref:postgresql-curved-12345)")
        #expect(attach.config["DATABASE_URL"] == addon.credentials.url && attach.config["HEROKU_POSTGRESQL_RED_URL"] == addon.credentials.url)
        #expect(try store.addons(appID: app.id).map(\.name) == [addon.name])
        #expect(try store.addon(addon.id.uuidString)?.credentials == addon.credentials)
        #expect(try store.addon(addon.name)?.appName == "web1")

        #expect(throws: OpenrukoError.self) { try store.createAddon(Self.addon(app, attachment: "OTHER"), actor: Attribution(owner), status: .succeeded) }
        #expect(try store.releases(appID: app.id).count == 2, "a refused attach records nothing")

        // A var the user pointed elsewhere stays.
        _ = try store.updateConfig(
            appID: app.id, set: ["HEROKU_POSTGRESQL_RED_URL": "mine"], unset: [], description: "x", actor: Attribution(owner), status: .succeeded)
        let detach = try store.deleteAddon(addon, actor: Attribution(owner), status: .succeeded)
        #expect(detach.description == "Detach DATABASE (@ref:postgresql-curved-12345)")
        #expect(detach.config == ["HEROKU_POSTGRESQL_RED_URL": "mine"])
        #expect(try store.addons(appID: app.id).isEmpty)
    }

    @Test func removingAnAppRemovesItsAddonRecords() throws {
        let installation = try TestInstallation()
        let store = installation.store
        let owner = try store.createUser(email: "o@example.com", isAdmin: false)
        let app = try store.createApp(name: "web1", ownerID: owner.id, stack: "host", actor: Attribution(owner))
        _ = try store.createAddon(Self.addon(app), actor: Attribution(owner), status: .succeeded)
        try store.deleteApp(id: app.id)
        #expect(try store.allAddons().isEmpty)
    }
}
