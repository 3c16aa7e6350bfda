import GRDB

/// Add-on attachments to other apps (`addons:attach`, issue 19): an add-on shared with an app
/// that is not its own, under a name whose config vars hold its URL (a JSON array). An add-on's
/// own attachment stays in `addons`. Never edit: add a migration.
enum Migration0008AddonAttachments {
    static func migrate(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE addon_attachments (
                    id TEXT PRIMARY KEY NOT NULL,
                    addon_id TEXT NOT NULL REFERENCES addons(id) ON DELETE CASCADE,
                    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
                    name TEXT NOT NULL,
                    config_vars TEXT NOT NULL,
                    created_at DATETIME NOT NULL,
                    UNIQUE (app_id, name),
                    UNIQUE (app_id, addon_id)
                )
                """)
        try db.execute(sql: "CREATE INDEX addon_attachments_addon ON addon_attachments(addon_id)")
    }
}
