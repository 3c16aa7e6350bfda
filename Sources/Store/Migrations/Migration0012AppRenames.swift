import GRDB

/// An app's name before a rename whose files have not all moved yet (`apps.renamed_from`):
/// set in the same transaction as the new name, cleared once the repository, slugs and build
/// cache are under it, so a daemon killed in between finishes the move at its next start.
/// Never edit: add a migration.
enum Migration0012AppRenames {
    static func migrate(_ db: Database) throws {
        try db.execute(sql: "ALTER TABLE apps ADD COLUMN renamed_from TEXT")
    }
}
