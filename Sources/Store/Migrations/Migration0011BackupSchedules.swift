import GRDB

/// Daily backup schedules of add-on databases (`pg:backups:schedule`, issue 19): one per
/// add-on, an hour in a time zone, when it was made, and the slot (that day's hour) of its
/// last scheduled capture, so a restarted daemon never captures a slot twice. Never edit:
/// add a migration.
enum Migration0011BackupSchedules {
    static func migrate(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE backup_schedules (
                    addon_id TEXT PRIMARY KEY NOT NULL REFERENCES addons(id) ON DELETE CASCADE,
                    hour INTEGER NOT NULL,
                    time_zone TEXT NOT NULL,
                    created_at DATETIME NOT NULL,
                    last_slot DATETIME
                )
                """)
    }
}
