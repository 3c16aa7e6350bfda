package import Foundation
import GRDB
package import OpenrukoCore

// MARK: - Daily backup schedules of add-on databases (`pg:backups:schedule`)

extension PlatformStore {
    /// Schedules (or moves) the add-on's daily backup to `at`, from `now` on: a moved
    /// schedule keeps its last slot, so it never captures a slot it already captured.
    package func setBackupSchedule(addonID: UUID, at: BackupTime, now: Date) throws(OpenrukoError) {
        try write { db in
            let last = try BackupScheduleRow.fetchOne(db, key: addonID.dbKey)?.lastSlot
            try BackupScheduleRow(addonId: addonID, hour: at.hour, timeZone: at.timeZone, createdAt: now, lastSlot: last).save(db)
        }
    }

    /// Removes the add-on's schedule.
    /// - Returns: whether it had one.
    package func deleteBackupSchedule(addonID: UUID) throws(OpenrukoError) -> Bool {
        try write { db in try BackupScheduleRow.deleteOne(db, key: addonID.dbKey) }
    }

    /// The schedules of the app's own add-ons, by add-on name.
    package func backupSchedules(appID: UUID) throws(OpenrukoError) -> [BackupSchedule] {
        try allBackupSchedules().filter { $0.appID == appID }
    }

    /// Every schedule, by app and add-on name.
    package func allBackupSchedules() throws(OpenrukoError) -> [BackupSchedule] {
        try read { db in
            try BackupScheduleRow.fetchAll(db).compactMap { try $0.schedule(db) }.sorted { ($0.appName, $0.addonName) < ($1.appName, $1.addonName) }
        }
    }

    /// Records that the add-on's scheduled capture of `slot` ran (only ever forward).
    package func recordScheduledBackup(addonID: UUID, slot: Date) throws(OpenrukoError) {
        try write { db in
            try db.execute(
                sql: "UPDATE backup_schedules SET last_slot = ? WHERE addon_id = ? AND (last_slot IS NULL OR last_slot < ?)",
                arguments: [slot, addonID.dbKey, slot])
        }
    }
}
