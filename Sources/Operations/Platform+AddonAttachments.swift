package import Foundation
package import OpenrukoCore
import Store

// MARK: - Sharing an add-on with another app (`addons:attach`, `addons:detach`; issue 19)

extension Platform {
    /// Attaches an add-on to another app the principal may act on: its URL goes into
    /// `NAME_URL` (`--as`; else `DATABASE_URL`/`REDIS_URL` when free, and a color) of that app
    /// in a new release `Attach NAME (@ref:…)`, so its dynos restart with it.
    /// - Throws: `notFound` ("Couldn't find that app.") for an app the principal may not act
    ///   on, alike for a missing one; `invalid` for the add-on's own app; `conflict` when the
    ///   app has it already or the name is taken.
    package func attachAddon(
        _ nameOrID: String, to appName: String, as attachmentName: String? = nil, by principal: Principal,
        output: @escaping @Sendable (String) -> Void = { _ in }
    ) async throws(OpenrukoError) -> (AddonAttachment, Release) {
        let addon = try self.addon(nameOrID, as: principal)
        let app = try self.app(appName, as: principal)
        guard app.id != addon.appID else {
            throw OpenrukoError(.invalid, "\(addon.name) belongs to \(app.name) (as \(addon.attachmentName)) already.", resource: "addon_attachment")
        }
        guard let service = AddonCatalog.service(addon.service) else { throw OpenrukoError(.notFound, "Couldn't find that add-on.", resource: "addon") }
        let existing = Set(try store.config(appID: app.id).keys).union(try store.addons(appID: app.id).flatMap(\.configVars))
            .union(try store.attachments(appID: app.id).flatMap(\.configVars))
        var generator = SystemRandomNumberGenerator()
        let names = try AddonCatalog.attachment(existing: existing, as: attachmentName, service: service, using: &generator)
        let actor = try attribution(principal)
        let attachment = AddonAttachment(
            id: UUID(), addonID: addon.id, addonName: addon.name, ownerAppID: addon.appID, ownerAppName: addon.appName, appID: app.id, appName: app.name,
            name: names.name, configVars: names.configVars, createdAt: Date())
        let release = try store.createAttachment(
            attachment, url: addon.credentials.url, actor: actor, status: try initialStatus(slugID: try store.currentRelease(appID: app.id)?.slugID))
        logAPI(app, "\(attachment.attachDescription) by user \(actor.email)")
        return (attachment, await publish(release, of: app, actor: actor, output: output))
    }

    /// Detaches an add-on shared with an app (by attachment name or id): its vars go in a new
    /// release `Detach NAME (@ref:…)`. An add-on's own app detaches it by destroying it.
    /// - Parameters:
    ///   - appName: the attached app; nil when `nameOrID` is the attachment's id.
    /// - Throws: `notFound` alike for a missing attachment and one of an app the principal may not act on.
    package func detachAddon(
        _ nameOrID: String, from appName: String?, by principal: Principal, output: @escaping @Sendable (String) -> Void = { _ in }
    ) async throws(OpenrukoError) -> (AddonAttachment, Release) {
        let notFound = OpenrukoError(.notFound, "Couldn't find that add-on attachment.", resource: "addon_attachment")
        let found: AddonAttachment?
        if let appName {
            let app = try self.app(appName, as: principal)
            let key = nameOrID.uppercased()
            found = try store.attachments(appID: app.id).first {
                $0.name == key || $0.configVars.contains(key) || $0.id.uuidString.lowercased() == nameOrID.lowercased()
            }
            if found == nil, try store.addons(appID: app.id).contains(where: { $0.attachmentName == key || $0.name == nameOrID.lowercased() }) {
                throw OpenrukoError(
                    .invalid, "\(nameOrID.prefix(64)) is \(app.name)'s own add-on: destroy it with addons:destroy.", resource: "addon_attachment")
            }
        } else {
            found = UUID(uuidString: nameOrID).flatMap { try? store.attachment($0) }
        }
        guard let attachment = found, let app = try store.app(attachment.appID.uuidString) else { throw notFound }
        do {
            try authorize(principal, on: app)
        } catch {
            throw notFound
        }
        guard let addon = try store.addon(attachment.addonID.uuidString) else { throw notFound }
        let actor = try attribution(principal)
        let release = try store.deleteAttachment(
            attachment, url: addon.credentials.url, actor: actor, status: try initialStatus(slugID: try store.currentRelease(appID: app.id)?.slugID))
        logAPI(app, "\(attachment.detachDescription) by user \(actor.email)")
        return (attachment, await publish(release, of: app, actor: actor, output: output))
    }

    /// Detaches an add-on from every other app it is shared with (before it is destroyed).
    func detachEverywhere(_ addon: Addon, actor: Attribution) async throws(OpenrukoError) {
        for attachment in try store.attachments(addonID: addon.id) {
            guard let app = try store.app(attachment.appID.uuidString) else { continue }
            let release = try store.deleteAttachment(
                attachment, url: addon.credentials.url, actor: actor,
                status: try initialStatus(slugID: try store.currentRelease(appID: app.id)?.slugID))
            logAPI(app, "\(attachment.detachDescription) by user \(actor.email)")
            _ = await publish(release, of: app, actor: actor, output: { _ in })
        }
    }

    /// Puts an add-on's new URL into every other app it is shared with (after a rotation).
    func updateAttachments(of addon: Addon, to url: String, description: String, actor: Attribution) async throws(OpenrukoError) {
        for attachment in try store.attachments(addonID: addon.id) {
            guard let app = try store.app(attachment.appID.uuidString) else { continue }
            let release = try store.updateAttachment(
                attachment, from: addon.credentials.url, to: url,
                description: description.replacingOccurrences(of: addon.attachmentName, with: attachment.name), actor: actor, status: try initialStatus(slugID: try store.currentRelease(appID: app.id)?.slugID))
            _ = await publish(release, of: app, actor: actor, output: { _ in })
        }
    }

    /// The other apps an add-on (found with `addon(_:app:as:)`) is shared with.
    package func attachments(of addon: Addon) throws(OpenrukoError) -> [AddonAttachment] {
        try store.attachments(addonID: addon.id)
    }

    /// The add-ons shared with an app (not its own).
    package func attachments(_ appName: String, as principal: Principal) throws(OpenrukoError) -> [AddonAttachment] {
        try store.attachments(appID: try app(appName, as: principal).id)
    }

    /// The add-ons shared with an app, each with its attachment there (`addons APP` lists them
    /// beside the app's own; the principal need not have access to the owning app).
    package func sharedAddons(_ appName: String, as principal: Principal) throws(OpenrukoError) -> [(Addon, AddonAttachment)] {
        var shared: [(Addon, AddonAttachment)] = []
        for attachment in try attachments(appName, as: principal) {
            if let addon = try store.addon(attachment.addonID.uuidString) { shared.append((addon, attachment)) }
        }
        return shared
    }
}
