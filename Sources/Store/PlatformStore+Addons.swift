package import Foundation
import GRDB
package import OpenrukoCore

// MARK: - Add-ons

extension PlatformStore {
    /// Records a provisioned add-on and sets its config vars (its URL) in the next release
    /// (`Attach DATABASE (@ref:…)`), in one transaction.
    /// - Parameters:
    ///   - status: `pending` when a release phase must run first, else `succeeded`.
    /// - Throws: `conflict` when the name or attachment is taken; `invalid` when the config
    ///   vars would outgrow the app's limit.
    package func createAddon(_ addon: Addon, actor: Attribution, status: Release.Status) throws(OpenrukoError) -> (Addon, Release) {
        try write { db in
            try insert(
                AddonRow(addon), db,
                conflict: OpenrukoError(
                    .conflict, "The add-on name \(addon.name) or the attachment \(addon.attachmentName) of \(addon.appName) is taken; try again.",
                    resource: "addon"))
            for key in addon.configVars {
                try ConfigVarRow(appId: addon.appID, key: key, value: addon.credentials.url).upsert(db)
            }
            let config = try Self.fetchConfig(db, addon.appID)
            let size = config.reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count }
            guard size <= Self.configSizeLimit else {
                throw OpenrukoError(.invalid, "The app's config vars would outgrow \(Self.configSizeLimit / 1024) kB.", resource: "config_var")
            }
            let current = try Self.currentReleaseRow(db, addon.appID)
            let row = try Self.insertRelease(
                db, appID: addon.appID, slugID: current?.slugId, config: config, description: addon.attachDescription, actor: actor,
                status: status)
            return (addon, row.release(currentVersion: try Self.currentVersion(db, addon.appID)))
        }
    }

    /// Removes an add-on's record and, in the next release (`Detach DATABASE (@ref:…)`), the
    /// config vars that still hold its URL, in one transaction.
    package func deleteAddon(_ addon: Addon, actor: Attribution, status: Release.Status) throws(OpenrukoError) -> Release {
        try write { db in
            _ = try AddonRow.deleteOne(db, key: addon.id.dbKey)
            for key in addon.configVars {
                try ConfigVarRow.filter(Column("app_id") == addon.appID.dbKey && Column("key") == key && Column("value") == addon.credentials.url)
                    .deleteAll(db)
            }
            let config = try Self.fetchConfig(db, addon.appID)
            let current = try Self.currentReleaseRow(db, addon.appID)
            let row = try Self.insertRelease(
                db, appID: addon.appID, slugID: current?.slugId, config: config, description: addon.detachDescription, actor: actor,
                status: status)
            return row.release(currentVersion: try Self.currentVersion(db, addon.appID))
        }
    }

    /// The app's add-ons, oldest first.
    package func addons(appID: UUID) throws(OpenrukoError) -> [Addon] {
        try read { db in
            let name = try String.fetchOne(db, sql: "SELECT name FROM apps WHERE id = ?", arguments: [appID.dbKey]) ?? ""
            return try AddonRow.filter(Column("app_id") == appID.dbKey).order(Column("created_at"), Column("name")).fetchAll(db)
                .map { $0.addon(appName: name) }
        }
    }

    /// Every add-on of the installation, oldest first.
    package func allAddons() throws(OpenrukoError) -> [Addon] {
        try read { db in
            let names = Dictionary(
                try Row.fetchAll(db, sql: "SELECT id, name FROM apps").map { ($0["id"] as String, $0["name"] as String) },
                uniquingKeysWith: { a, _ in a })
            return try AddonRow.order(Column("created_at"), Column("name")).fetchAll(db).map {
                $0.addon(appName: names[$0.appId.dbKey] ?? "")
            }
        }
    }

    /// The add-on with this name or id, or nil.
    package func addon(_ nameOrID: String) throws(OpenrukoError) -> Addon? {
        try read { db in
            let key = nameOrID.lowercased()
            guard let row = try AddonRow.filter(Column("name") == key || Column("id") == key).fetchOne(db) else { return nil }
            let name = try String.fetchOne(db, sql: "SELECT name FROM apps WHERE id = ?", arguments: [row.appId.dbKey]) ?? ""
            return row.addon(appName: name)
        }
    }
}

extension PlatformStore {
    /// Records an add-on's new credentials and, in the next release (`description`), puts its
    /// new URL into the config vars that held the old one, in one transaction.
    package func updateAddonCredentials(
        _ addon: Addon, to credentials: DatabaseCredentials, description: String, actor: Attribution, status: Release.Status
    ) throws(OpenrukoError) -> Release {
        try write { db in
            var updated = addon
            updated.credentials = credentials
            updated.updatedAt = Date()
            try AddonRow(updated).update(db)
            for key in addon.configVars {
                try db.execute(
                    sql: "UPDATE config_vars SET value = ? WHERE app_id = ? AND key = ? AND value = ?",
                    arguments: [credentials.url, addon.appID.dbKey, key, addon.credentials.url])
            }
            let config = try Self.fetchConfig(db, addon.appID)
            let current = try Self.currentReleaseRow(db, addon.appID)
            let row = try Self.insertRelease(
                db, appID: addon.appID, slugID: current?.slugId, config: config, description: description, actor: actor, status: status)
            return row.release(currentVersion: try Self.currentVersion(db, addon.appID))
        }
    }
}
