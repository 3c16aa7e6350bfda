import Foundation
import GRDB
import OpenrukoCore

/// A row of `backup_schedules` (Migration0011BackupSchedules).
struct BackupScheduleRow: TableRow {
    static let databaseTableName = "backup_schedules"
    var addonId: UUID
    var hour: Int
    var timeZone: String
    var createdAt: Date
    var lastSlot: Date?

    /// The schedule, with the names the store holds for its add-on and app (nil when the
    /// add-on is gone).
    func schedule(_ db: Database) throws -> BackupSchedule? {
        guard
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT addons.name AS addon, addons.attachment_name AS attachment, apps.name AS app, apps.id AS app_id
                    FROM addons JOIN apps ON apps.id = addons.app_id WHERE addons.id = ?
                    """,
                arguments: [addonId.dbKey]),
            let appID = UUID(uuidString: row["app_id"] as String)
        else { return nil }
        return BackupSchedule(
            addonID: addonId, addonName: row["addon"], appID: appID, appName: row["app"], attachmentName: row["attachment"],
            at: BackupTime(hour: hour, timeZone: timeZone), createdAt: createdAt, lastSlot: lastSlot)
    }
}
