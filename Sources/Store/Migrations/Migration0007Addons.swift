import GRDB

/// Add-ons (issue 19): one row per provisioned database, attached to one app under one name,
/// with the config vars holding its URL (a JSON array) and its credentials (the store is
/// private, like the config vars that hold the same URL). Never edit: add a migration.
enum Migration0007Addons {
    static func migrate(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE addons (
                    id TEXT PRIMARY KEY NOT NULL,
                    name TEXT NOT NULL UNIQUE,
                    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
                    service TEXT NOT NULL,
                    plan TEXT NOT NULL,
                    attachment_name TEXT NOT NULL,
                    config_vars TEXT NOT NULL,
                    host TEXT NOT NULL,
                    port INTEGER NOT NULL,
                    database_name TEXT NOT NULL,
                    role_name TEXT NOT NULL,
                    password TEXT NOT NULL,
                    created_at DATETIME NOT NULL,
                    updated_at DATETIME NOT NULL,
                    UNIQUE (app_id, attachment_name)
                )
                """)
        try db.execute(sql: "CREATE INDEX addons_app ON addons(app_id)")
    }
}
