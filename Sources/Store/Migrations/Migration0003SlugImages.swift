import GRDB

/// Container slugs: the image (root filesystem key and image config) each process type runs,
/// as JSON; NULL for buildpack slugs. Never edit: add a migration.
enum Migration0003SlugImages {
    static func migrate(_ db: Database) throws {
        try db.execute(sql: "ALTER TABLE slugs ADD COLUMN images TEXT")
    }
}
