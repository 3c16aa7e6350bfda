import GRDB

/// Retention: when a slug's artifact was removed (its releases then read `expired` and cannot
/// be rolled back to). NULL while the artifact is kept. Never edit: add a migration.
enum Migration0006SlugExpiry {
    static func migrate(_ db: Database) throws {
        try db.execute(sql: "ALTER TABLE slugs ADD COLUMN expired_at DATETIME")
    }
}
