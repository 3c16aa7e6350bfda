package import Foundation

/// The daily backup of one add-on database (`pg:backups:schedule`): captured once a day at
/// `at`, its backups named `a001`, `a002`… (Heroku's scheduled ids), the last
/// `BackupSchedule.kept` of them kept. Whether one is due is a pure decision (`dueSlot`) on the
/// slot of the last scheduled capture, which the store keeps, so a restarted daemon never
/// captures a slot twice and, after downtime, catches up once (the latest slot) at most.
package struct BackupSchedule: Hashable, Sendable {
    package var addonID: UUID
    package var addonName: String
    package var appID: UUID
    package var appName: String
    /// `DATABASE`, `HEROKU_POSTGRESQL_AMBER`.
    package var attachmentName: String
    package var at: BackupTime
    /// When it was scheduled (no slot before it is due).
    package var createdAt: Date
    /// The slot of the last scheduled capture (its hour, not when it ran), nil before the first.
    package var lastSlot: Date?

    package init(
        addonID: UUID, addonName: String, appID: UUID, appName: String, attachmentName: String, at: BackupTime, createdAt: Date,
        lastSlot: Date?
    ) {
        self.addonID = addonID
        self.addonName = addonName
        self.appID = appID
        self.appName = appName
        self.attachmentName = attachmentName
        self.at = at
        self.createdAt = createdAt
        self.lastSlot = lastSlot
    }

    /// How many scheduled backups of a database are kept (Heroku keeps 7 daily ones).
    package static let kept = 7

    /// The slot to capture now, or nil: the latest `at` at or before `now`, when it is after
    /// the schedule was made and after the last captured slot. After days of downtime that is
    /// the latest slot only (one catch-up, not one per missed day).
    package func dueSlot(now: Date) -> Date? {
        guard let slot = Self.latestSlot(at, atOrBefore: now), slot > createdAt else { return nil }
        if let lastSlot, slot <= lastSlot { return nil }
        return slot
    }

    /// The latest instant at or before `now` whose local time in `at.timeZone` is `at.hour`:00
    /// (on a day where that hour does not exist, the instant the calendar gives for it).
    package static func latestSlot(_ at: BackupTime, atOrBefore now: Date) -> Date? {
        guard let zone = TimeZone(identifier: at.timeZone) else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        // Today's slot, else yesterday's, else (a 25-hour day's edge) the day before.
        for daysBack in 0...2 {
            guard let day = calendar.date(byAdding: .day, value: -daysBack, to: now) else { continue }
            var components = calendar.dateComponents([.year, .month, .day], from: day)
            components.hour = at.hour
            components.minute = 0
            components.second = 0
            if let slot = calendar.date(from: components), slot <= now { return slot }
        }
        return nil
    }

    /// The scheduled backup ids to remove so that the newest `kept` stay (`a001`… by number).
    package static func expired(_ ids: [String], keeping kept: Int = BackupSchedule.kept) -> [String] {
        let ordered = ids.compactMap { id in Int(id.dropFirst()).map { (id, $0) } }.sorted { $0.1 < $1.1 }.map(\.0)
        return Array(ordered.dropLast(kept))
    }
}
