package import Foundation
import GRDB
package import OpenrukoCore

/// The store: one SQLite file in WAL mode, shared by the daemon, `openruko admin` and the
/// git hook. Every method is one transaction; writes start with `BEGIN IMMEDIATE` and wait
/// (busy timeout) for other processes instead of failing.
///
/// ```swift
/// let store = try PlatformStore(path: layout.database)
/// let app = try store.createApp(name: "web1", ownerID: user.id, stack: "host", actor: .init(user))
/// ```
package final class PlatformStore: Sendable {
    let writer: any DatabaseWriter

    /// Opens (creating if needed) the database at `path` and migrates it.
    /// - Throws: `OpenrukoError` when the file cannot be opened or migrated.
    package init(path: String) throws(OpenrukoError) {
        var config = Configuration()
        config.busyMode = .timeout(30)
        config.foreignKeysEnabled = true
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        // The database holds config secrets: it is created 0600, and SQLite gives its WAL and
        // shared-memory files the database file's mode.
        let fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0o600)
        if fd >= 0 { close(fd) }
        for file in [path, path + "-wal", path + "-shm"] { chmod(file, 0o600) }
        do {
            writer = try DatabasePool(path: path, configuration: config)
            try Migrations.migrator.migrate(writer)
        } catch {
            throw OpenrukoError(.internal, "Cannot open the database at \(path): \(error)")
        }
    }

    /// Runs one write transaction (IMMEDIATE), mapping database errors.
    func write<T>(_ body: (Database) throws -> T) throws(OpenrukoError) -> T {
        do {
            return try writer.write(body)
        } catch let error as OpenrukoError {
            throw error
        } catch {
            throw OpenrukoError(.internal, "Database error: \(error)")
        }
    }

    /// Runs one read (a snapshot).
    func read<T>(_ body: (Database) throws -> T) throws(OpenrukoError) -> T {
        do {
            return try writer.read(body)
        } catch let error as OpenrukoError {
            throw error
        } catch {
            throw OpenrukoError(.internal, "Database error: \(error)")
        }
    }
}

extension DatabaseError {
    /// Whether this is a UNIQUE (or PRIMARY KEY) constraint violation.
    var isUniqueViolation: Bool {
        extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE || extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY
    }
}

/// Inserts `row`, turning a uniqueness violation into `conflict`.
func insert(_ row: some PersistableRecord, _ db: Database, conflict: @autoclosure () -> OpenrukoError) throws {
    do {
        try row.insert(db)
    } catch let error as DatabaseError where error.isUniqueViolation {
        throw conflict()
    }
}

extension UUID {
    /// The text form stored in the database (lowercase, like Heroku's ids).
    var dbKey: String { uuidString.lowercased() }
}
