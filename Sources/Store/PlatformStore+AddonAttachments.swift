package import Foundation
import GRDB
package import OpenrukoCore

// MARK: - Add-on attachments to other apps (`addons:attach`)

extension PlatformStore {
    /// Records an attachment and sets its config vars to `url` in the attached app's next
    /// release (`Attach NAME (@ref:…)`), in one transaction.
    /// - Throws: `conflict` when the app already has the add-on or the name; `invalid` when the
    ///   config vars would outgrow the app's limit.
    package func createAttachment(_ attachment: AddonAttachment, url: String, actor: Attribution, status: Release.Status)
        throws(OpenrukoError) -> Release
    {
        try write { db in
            try insert(
                AddonAttachmentRow(attachment), db,
                conflict: OpenrukoError(
                    .conflict, "\(attachment.appName) already has \(attachment.addonName) or an attachment \(attachment.name).",
                    resource: "addon_attachment"))
            for key in attachment.configVars { try ConfigVarRow(appId: attachment.appID, key: key, value: url).upsert(db) }
            let config = try Self.fetchConfig(db, attachment.appID)
            guard config.reduce(0, { $0 + $1.key.utf8.count + $1.value.utf8.count }) <= Self.configSizeLimit else {
                throw OpenrukoError(.invalid, "The app's config vars would outgrow \(Self.configSizeLimit / 1024) kB.", resource: "config_var")
            }
            let current = try Self.currentReleaseRow(db, attachment.appID)
            let row = try Self.insertRelease(
                db, appID: attachment.appID, slugID: current?.slugId, config: config, description: attachment.attachDescription,
                actor: actor, status: status)
            return row.release(currentVersion: try Self.currentVersion(db, attachment.appID))
        }
    }

    /// Removes an attachment and, in the attached app's next release (`Detach NAME (@ref:…)`),
    /// the config vars that still hold `url`, in one transaction.
    package func deleteAttachment(_ attachment: AddonAttachment, url: String, actor: Attribution, status: Release.Status)
        throws(OpenrukoError) -> Release
    {
        try write { db in
            _ = try AddonAttachmentRow.deleteOne(db, key: attachment.id.dbKey)
            for key in attachment.configVars {
                try ConfigVarRow.filter(Column("app_id") == attachment.appID.dbKey && Column("key") == key && Column("value") == url).deleteAll(db)
            }
            let config = try Self.fetchConfig(db, attachment.appID)
            let current = try Self.currentReleaseRow(db, attachment.appID)
            let row = try Self.insertRelease(
                db, appID: attachment.appID, slugID: current?.slugId, config: config, description: attachment.detachDescription,
                actor: actor, status: status)
            return row.release(currentVersion: try Self.currentVersion(db, attachment.appID))
        }
    }

    /// Puts the add-on's new URL into the attached app's config vars that held `old`, in its
    /// next release (`description`), in one transaction.
    package func updateAttachment(
        _ attachment: AddonAttachment, from old: String, to url: String, description: String, actor: Attribution, status: Release.Status
    ) throws(OpenrukoError) -> Release {
        try write { db in
            for key in attachment.configVars {
                try db.execute(
                    sql: "UPDATE config_vars SET value = ? WHERE app_id = ? AND key = ? AND value = ?",
                    arguments: [url, attachment.appID.dbKey, key, old])
            }
            let config = try Self.fetchConfig(db, attachment.appID)
            let current = try Self.currentReleaseRow(db, attachment.appID)
            let row = try Self.insertRelease(
                db, appID: attachment.appID, slugID: current?.slugId, config: config, description: description, actor: actor, status: status)
            return row.release(currentVersion: try Self.currentVersion(db, attachment.appID))
        }
    }

    /// The attachment with this id, or nil.
    package func attachment(_ id: UUID) throws(OpenrukoError) -> AddonAttachment? {
        try read { db in try AddonAttachmentRow.fetchOne(db, key: id.dbKey)?.attachment(db) }
    }

    /// The add-ons attached to the app (not its own), oldest first.
    package func attachments(appID: UUID) throws(OpenrukoError) -> [AddonAttachment] {
        try read { db in
            try AddonAttachmentRow.filter(Column("app_id") == appID.dbKey).order(Column("created_at")).fetchAll(db).map { try $0.attachment(db) }
        }
    }

    /// The apps the add-on is attached to (besides its own), oldest first.
    package func attachments(addonID: UUID) throws(OpenrukoError) -> [AddonAttachment] {
        try read { db in
            try AddonAttachmentRow.filter(Column("addon_id") == addonID.dbKey).order(Column("created_at")).fetchAll(db).map { try $0.attachment(db) }
        }
    }
}
