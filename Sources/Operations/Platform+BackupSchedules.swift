package import Foundation
package import OpenrukoCore
import Store

// MARK: - `pg:backups:schedule`, `pg:backups:schedules`, `pg:backups:unschedule`, scheduled captures

extension Platform {
    /// `pg:backups:schedule`: a daily backup of the app's database `which` at `at`
    /// (`02:00 America/New_York`; the zone defaults to UTC), replacing its schedule if it had one.
    /// - Throws: `OpenrukoError.invalid` when `at` is missing or malformed.
    package func scheduleBackups(_ appName: String, _ which: String?, at text: String?, as principal: Principal) throws(OpenrukoError)
        -> BackupSchedule
    {
        let addon = try database(appName, which, as: principal)
        guard let text else {
            throw OpenrukoError(.invalid, "Give the time of the daily backup: --at '02:00 America/New_York' (an hour and a time zone).", resource: "backup")
        }
        let at = try BackupTime(parsing: text)
        try store.setBackupSchedule(addonID: addon.id, at: at, now: Date())
        logAPI(try app(appName, as: principal), "Daily backup of \(addon.attachmentName) scheduled at \(at.text) by user \(try attribution(principal).email)")
        guard let schedule = try store.backupSchedules(appID: addon.appID).first(where: { $0.addonID == addon.id }) else {
            throw OpenrukoError(.notFound, "\(addon.attachmentName) of \(addon.appName) is gone.", resource: "addon")
        }
        return schedule
    }

    /// The backup schedules of the app's databases.
    package func backupSchedules(_ appName: String, as principal: Principal) throws(OpenrukoError) -> [BackupSchedule] {
        let app = try self.app(appName, as: principal)
        return try store.backupSchedules(appID: app.id)
    }

    /// `pg:backups:unschedule`: stops the daily backups of the app's database `which` (its
    /// scheduled backups stay).
    /// - Returns: the schedule it had.
    /// - Throws: `OpenrukoError.notFound` when it had none.
    package func unscheduleBackups(_ appName: String, _ which: String?, as principal: Principal) throws(OpenrukoError) -> BackupSchedule {
        let addon = try database(appName, which, as: principal)
        guard let schedule = try store.backupSchedules(appID: addon.appID).first(where: { $0.addonID == addon.id }),
            try store.deleteBackupSchedule(addonID: addon.id)
        else {
            throw OpenrukoError(.notFound, "\(addon.attachmentName) of \(addon.appName) has no backup schedule.", resource: "backup")
        }
        logAPI(try app(appName, as: principal), "Daily backup of \(addon.attachmentName) unscheduled by user \(try attribution(principal).email)")
        return schedule
    }

    /// Captures every scheduled backup that is due at `now` (`BackupSchedule.dueSlot`), one
    /// database after another, records each slot (captured or failed: a failed slot waits for
    /// the next day, as on Heroku), and removes the scheduled backups past the newest
    /// `BackupSchedule.kept`. Each outcome goes into the app's log too.
    /// - Returns: each due schedule with its backup or error.
    package func captureScheduledBackups(now: Date = Date()) async -> [(BackupSchedule, Result<DatabaseBackup, OpenrukoError>)] {
        let schedules: [BackupSchedule]
        do {
            schedules = try store.allBackupSchedules()
        } catch {
            return []
        }
        var outcomes: [(BackupSchedule, Result<DatabaseBackup, OpenrukoError>)] = []
        for schedule in schedules {
            guard let slot = schedule.dueSlot(now: now) else { continue }
            let outcome: Result<DatabaseBackup, OpenrukoError>
            do {
                outcome = .success(try await captureScheduled(schedule))
            } catch {
                outcome = .failure(error)
            }
            try? store.recordScheduledBackup(addonID: schedule.addonID, slot: slot)
            let message =
                switch outcome {
                case .success(let backup): "Scheduled backup \(backup.id) of \(schedule.attachmentName) captured (\(backup.sizeBytes) bytes)"
                case .failure(let error): "Scheduled backup of \(schedule.attachmentName) failed: \(error.message)"
                }
            logs.emit(LogLine(appID: schedule.appID, source: "heroku", process: "postgres", message: message))
            outcomes.append((schedule, outcome))
        }
        return outcomes
    }

    /// One scheduled capture (`aNNN`), then the scheduled backups past the newest `kept` removed.
    func captureScheduled(_ schedule: BackupSchedule) async throws(OpenrukoError) -> DatabaseBackup {
        guard let addon = try store.addons(appID: schedule.appID).first(where: { $0.id == schedule.addonID }) else {
            throw OpenrukoError(.notFound, "The add-on \(schedule.addonName) is gone.", resource: "addon")
        }
        let backup = try await capture(addon, prefix: "a")
        for id in BackupSchedule.expired(try backups(of: addon).filter(\.isScheduled).map(\.id)) {
            try? FileManager.default.removeItem(atPath: layout.backups + "/\(addon.name)-\(id).dump")
        }
        return backup
    }
}
