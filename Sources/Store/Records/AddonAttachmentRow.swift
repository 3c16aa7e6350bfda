import Foundation
import GRDB
import OpenrukoCore

/// A row of `addon_attachments` (Migration0008AddonAttachments). `configVars` is a JSON array.
struct AddonAttachmentRow: TableRow {
    static let databaseTableName = "addon_attachments"
    var id: UUID
    var addonId: UUID
    var appId: UUID
    var name: String
    var configVars: String
    var createdAt: Date

    init(_ attachment: AddonAttachment) {
        id = attachment.id
        addonId = attachment.addonID
        appId = attachment.appID
        name = attachment.name
        configVars = String(decoding: (try? JSONEncoder().encode(attachment.configVars)) ?? Data("[]".utf8), as: UTF8.self)
        createdAt = attachment.createdAt
    }

    /// The attachment, with the names the store holds for its add-on and apps.
    func attachment(_ db: Database) throws -> AddonAttachment {
        let addon = try Row.fetchOne(
            db,
            sql: """
                SELECT addons.name AS addon, apps.name AS app, apps.id AS app_id
                FROM addons JOIN apps ON apps.id = addons.app_id WHERE addons.id = ?
                """,
            arguments: [addonId.dbKey])
        let app = try String.fetchOne(db, sql: "SELECT name FROM apps WHERE id = ?", arguments: [appId.dbKey]) ?? ""
        return AddonAttachment(
            id: id, addonID: addonId, addonName: addon.map { $0["addon"] as String } ?? "",
            ownerAppID: addon.flatMap { UUID(uuidString: $0["app_id"] as String) } ?? addonId,
            ownerAppName: addon.map { $0["app"] as String } ?? "", appID: appId, appName: app, name: name, configVars: (try? JSONDecoder().decode([String].self, from: Data(configVars.utf8))) ?? [], createdAt: createdAt)
    }
}
