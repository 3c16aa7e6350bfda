import GRDB

/// Heroku's maintenance mode per app (`PATCH /apps/{app} {maintenance}`). Never edit: add a migration.
enum Migration0002AppMaintenance {
    static func migrate(_ db: Database) throws {
        try db.execute(sql: "ALTER TABLE apps ADD COLUMN maintenance INTEGER NOT NULL DEFAULT 0")
    }
}
