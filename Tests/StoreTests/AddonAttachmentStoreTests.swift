import Foundation
import OpenrukoCore
import Store
import TestSupport
import Testing

/// Add-on attachments to other apps (Migration0008AddonAttachments): attaching sets `NAME_URL`
/// in the other app's new release, twice is a conflict, detaching removes the var in another
/// release, and removing either app removes the attachment.
@Suite(.timeLimit(.minutes(5))) struct AddonAttachmentStoreTests {
    @Test func attachingToAnotherAppAndDetachingAreReleasesOfThatApp() throws {
        let installation = try TestInstallation()
        let store = installation.store
        let owner = try store.createUser(email: "o@example.com", isAdmin: false)
        let shop = try store.createApp(name: "shop", ownerID: owner.id, stack: "host", actor: Attribution(owner))
        let reports = try store.createApp(name: "reports", ownerID: owner.id, stack: "host", actor: Attribution(owner))
        let addon = AddonStoreTests.addon(shop)
        _ = try store.createAddon(addon, actor: Attribution(owner), status: .succeeded)
        let attachment = AddonAttachment(
            id: UUID(), addonID: addon.id, addonName: addon.name, ownerAppID: shop.id, ownerAppName: "shop", appID: reports.id,
            appName: "reports", name: "SHARED", configVars: ["SHARED_URL"], createdAt: Date())
        let attach = try store.createAttachment(attachment, url: addon.credentials.url, actor: Attribution(owner), status: .succeeded)
        #expect(attach.description == "Attach SHARED (@ref:postgresql-curved-12345)" && attach.config["SHARED_URL"] == addon.credentials.url)
        let listed = try store.attachments(appID: reports.id)
        #expect(listed.map(\.name) == ["SHARED"] && listed.first?.ownerAppName == "shop" && listed.first?.ownerAppID == shop.id)
        #expect(try store.attachments(addonID: addon.id).map(\.appName) == ["reports"])
        #expect(throws: OpenrukoError.self) {
            var twice = attachment
            twice.id = UUID()
            twice.name = "OTHER"
            try store.createAttachment(twice, url: addon.credentials.url, actor: Attribution(owner), status: .succeeded)
        }
        let detach = try store.deleteAttachment(attachment, url: addon.credentials.url, actor: Attribution(owner), status: .succeeded)
        #expect(detach.description == "Detach SHARED (@ref:postgresql-curved-12345)" && detach.config["SHARED_URL"] == nil)
        #expect(try store.attachments(appID: reports.id).isEmpty)

        _ = try store.createAttachment(attachment, url: addon.credentials.url, actor: Attribution(owner), status: .succeeded)
        try store.deleteApp(id: shop.id)
        #expect(try store.attachments(appID: reports.id).isEmpty, "the add-on's removal takes its attachments")
    }
}
