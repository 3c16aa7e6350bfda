import GRDB

/// The legacy stack (the host's own `/usr`, no image) was called `heroku-22`, which it is not:
/// it is `host` from now on, for apps and the slugs built on it. Never edit: add a migration.
enum Migration0010HostStack {
    static func migrate(_ db: Database) throws {
        try db.execute(sql: "UPDATE apps SET stack = 'host' WHERE stack = 'heroku-22'")
        try db.execute(sql: "UPDATE slugs SET stack = 'host' WHERE stack = 'heroku-22'")
    }
}
