package import Foundation
package import OpenrukoCore
import Store

// MARK: - Add-ons (issue 19)

extension Platform {
    /// Provisions an add-on (`heroku-postgresql[:PLAN]`) for an app and attaches it: its URL
    /// goes into `DATABASE_URL` (the first one) and `HEROKU_POSTGRESQL_COLOR_URL` (or
    /// `NAME_URL` with `as`) in one new release, `Attach DATABASE (@ref:…)`, so the dynos
    /// restart with it.
    /// - Parameters:
    ///   - service: `SERVICE[:PLAN]` (`heroku-postgresql:essential-0`, `postgresql`).
    ///   - attachmentName: `--as NAME`.
    ///   - output: receives release-phase output.
    /// - Throws: `notFound` for an unknown service or plan, `unavailable` when the database
    ///   server cannot be reached.
    package func createAddon(
        _ appName: String, service: String, as attachmentName: String? = nil, by principal: Principal,
        output: @escaping @Sendable (String) -> Void = { _ in }
    ) async throws(OpenrukoError) -> (Addon, Release) {
        let app = try self.app(appName, as: principal)
        let (service, plan) = try AddonCatalog.resolve(service)
        let actor = try attribution(principal)
        var generator = SystemRandomNumberGenerator()
        let existing = Set(try store.config(appID: app.id).keys).union(try store.addons(appID: app.id).flatMap(\.configVars))
        let attachment = try AddonCatalog.attachment(existing: existing, as: attachmentName, service: service, using: &generator)
        let name = try freeAddonName(prefix: service.namePrefix, using: &generator)
        let servers = self.provisioner(for: service.name)
        let credentials = try await servers.provision(plan: plan)
        let now = Date()
        let addon = Addon(
            id: UUID(), name: name, appID: app.id, appName: app.name, service: service.name, plan: plan.name,
            attachmentName: attachment.name, configVars: attachment.configVars, credentials: credentials, createdAt: now, updatedAt: now)
        let release: Release
        do {
            release = try store.createAddon(
                addon, actor: actor, status: try initialStatus(slugID: try store.currentRelease(appID: app.id)?.slugID)).1
        } catch {
            try? await servers.deprovision(credentials, backup: nil)  // nothing refers to it: an empty database
            throw error
        }
        logAPI(app, "\(addon.attachDescription) by user \(actor.email)")
        return (addon, await publish(release, of: app, actor: actor, output: output))
    }

    /// The add-ons of an app, or (without one) of every app the principal may act on.
    package func addons(_ appName: String?, as principal: Principal) throws(OpenrukoError) -> [Addon] {
        if let appName {
            return try store.addons(appID: try app(appName, as: principal).id)
        }
        if principal.isAdmin { return try store.allAddons() }
        let visible = Set(try apps(as: principal).map(\.id))
        return try store.allAddons().filter { visible.contains($0.appID) }
    }

    /// One add-on by name or id (or attachment name, with `app`), if the principal may act on its app.
    /// - Throws: `notFound` alike for a missing add-on and one of another tenant.
    package func addon(_ nameOrID: String, app appName: String? = nil, as principal: Principal) throws(OpenrukoError) -> Addon {
        let notFound = OpenrukoError(.notFound, "Couldn't find that add-on.", resource: "addon")
        var found = try store.addon(nameOrID)
        if found == nil, let appName {
            let app = try self.app(appName, as: principal)
            found = try store.addons(appID: app.id).first { $0.attachmentName == nameOrID.uppercased() }
        }
        guard let found else { throw notFound }
        guard let app = try store.app(found.appID.uuidString) else { throw notFound }
        do {
            try authorize(principal, on: app)
        } catch {
            throw notFound
        }
        if let appName, app.name != appName.lowercased(), app.id.uuidString.lowercased() != appName.lowercased() { throw notFound }
        return found
    }

    /// Destroys an add-on: keeps a final `pg_dump -Fc` under `DATA_DIR/backups`, drops its
    /// database and role, and removes its config vars in a new release `Detach DATABASE (@ref:…)`.
    /// - Parameters:
    ///   - confirm: must be the add-on's app name.
    /// - Returns: the add-on, the new release and the backup's path.
    package func destroyAddon(
        _ nameOrID: String, app appName: String? = nil, confirm: String?, as principal: Principal,
        output: @escaping @Sendable (String) -> Void = { _ in }
    ) async throws(OpenrukoError) -> (Addon, Release, String) {
        let addon = try self.addon(nameOrID, app: appName, as: principal)
        guard confirm == addon.appName else {
            throw OpenrukoError(
                .invalid, "This destroys \(addon.name) of \(addon.appName) and its data (a final backup is kept). "
                    + "To proceed, pass --confirm \(addon.appName).", resource: "addon")
        }
        guard let app = try store.app(addon.appID.uuidString) else { throw OpenrukoError.appNotFound }
        let actor = try attribution(principal)
        let backup = backupPath(of: addon)
        try await detachEverywhere(addon, actor: actor)  // the apps it was shared with (Platform+AddonAttachments)
        try await provisioner(for: addon.service).deprovision(addon.credentials, backup: backup)
        let release = try store.deleteAddon(
            addon, actor: actor, status: try initialStatus(slugID: try store.currentRelease(appID: app.id)?.slugID))
        logAPI(app, "\(addon.detachDescription) by user \(actor.email)")
        return (addon, await publish(release, of: app, actor: actor, output: output), backup)
    }

    /// Drops every add-on database of an app that is being destroyed (each after a final
    /// backup, detached from the apps it was shared with first); its records go with the app.
    func destroyAddons(of app: App, by principal: Principal) async throws(OpenrukoError) {
        for addon in try store.addons(appID: app.id) {
            try await detachEverywhere(addon, actor: try attribution(principal))
            try await provisioner(for: addon.service).deprovision(addon.credentials, backup: backupPath(of: addon))
        }
    }

    /// The provisioner of a service's add-ons (`heroku-redis`: Redis servers; else databases).
    func provisioner(for service: String) -> any DatabaseProvisioner {
        service == AddonCatalog.redis.name ? redis : databases
    }

    /// `DATA_DIR/backups/NAME-20261206T230000Z.dump` (a Redis add-on's: `.rdb`).
    func backupPath(of addon: Addon) -> String {
        let stamp = ISO8601DateFormatter.string(from: Date(), timeZone: TimeZone(identifier: "UTC")!, formatOptions: [.withYear, .withMonth, .withDay, .withTime, .withTimeZone])
        return layout.backups + "/\(addon.name)-\(stamp.replacingOccurrences(of: ":", with: ""))"
            + (addon.service == AddonCatalog.redis.name ? ".rdb" : ".dump")
    }

    /// A free random add-on name like `postgresql-curved-12345` (`prefix`: `redis-…`).
    func freeAddonName(prefix: String, using generator: inout some RandomNumberGenerator) throws(OpenrukoError) -> String {
        for _ in 0..<20 {
            let candidate = AddonCatalog.randomName(prefix: prefix, using: &generator)
            if try store.addon(candidate) == nil { return candidate }
        }
        throw OpenrukoError(.conflict, "Could not find a free add-on name.", resource: "addon")
    }
}
