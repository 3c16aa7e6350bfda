import GRDB
import OpenrukoCore

/// One host identity per app: `apps.sandbox_uid` (also its gid), unique, allocated when the
/// app is created; existing apps get one each from the default range, oldest first. And
/// `apps.container_builds`: whether an admin allowed the app's Dockerfile builds (existing
/// apps keep what they had). Never edit: add a migration.
enum Migration0004AppSandboxUIDs {
    static func migrate(_ db: Database) throws {
        try db.execute(sql: "ALTER TABLE apps ADD COLUMN sandbox_uid INTEGER")
        try db.execute(sql: "CREATE UNIQUE INDEX apps_sandbox_uid ON apps(sandbox_uid)")
        try db.execute(sql: "ALTER TABLE apps ADD COLUMN container_builds INTEGER NOT NULL DEFAULT 0")
        try db.execute(sql: "UPDATE apps SET container_builds = 1 WHERE id IN (SELECT app_id FROM slugs WHERE images IS NOT NULL)")
        let ids = try String.fetchAll(db, sql: "SELECT id FROM apps ORDER BY created_at, name")
        for (offset, id) in ids.enumerated() {
            try db.execute(
                sql: "UPDATE apps SET sandbox_uid = ? WHERE id = ?",
                arguments: [Int(SandboxUIDRange.default.lowerBound) + offset, id])
        }
    }
}
