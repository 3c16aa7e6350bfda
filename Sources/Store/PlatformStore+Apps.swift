package import Foundation
import GRDB
package import OpenrukoCore

// MARK: - Apps, collaborators, domains, drains

extension PlatformStore {
    /// Creates an app and its release v1 "Initial release", atomically.
    /// - Throws: `conflict` ("Name is already taken") when the name exists.
    package func createApp(name: String, ownerID: UUID, stack: String, actor: Attribution) throws(OpenrukoError) -> App {
        let now = Date()
        let range = try SandboxUIDRange.current()
        var row = AppRow(id: UUID(), name: name, ownerId: ownerID, stack: stack, buildpacks: [], maintenance: false, createdAt: now, updatedAt: now)
        return try write { db in
            guard let owner = try UserRow.fetchOne(db, key: ownerID.dbKey) else {
                throw OpenrukoError(.notFound, "Couldn't find that user.", resource: "user")
            }
            row.sandboxUid = try Self.freeSandboxUID(db, in: range)
            try insert(row, db, conflict: OpenrukoError(.conflict, "Name \(name) is already taken", resource: "app"))
            _ = try Self.insertRelease(
                db, appID: row.id, slugID: nil, config: [:], description: "Initial release", actor: actor, status: .succeeded)
            return row.app(ownerEmail: owner.email)
        }
    }

    /// The lowest uid of `range` no app holds.
    /// - Throws: `OpenrukoError.unavailable` when every uid is taken.
    static func freeSandboxUID(_ db: Database, in range: ClosedRange<UInt32>) throws -> UInt32 {
        let sql = """
            SELECT uid FROM (
              SELECT ? AS uid WHERE NOT EXISTS (SELECT 1 FROM apps WHERE sandbox_uid = ?)
              UNION ALL
              SELECT a.sandbox_uid + 1 FROM apps a
              WHERE a.sandbox_uid >= ? AND a.sandbox_uid < ?
                AND NOT EXISTS (SELECT 1 FROM apps b WHERE b.sandbox_uid = a.sandbox_uid + 1))
            ORDER BY uid LIMIT 1
            """
        let (low, high) = (Int(range.lowerBound), Int(range.upperBound))
        guard let uid = try Int.fetchOne(db, sql: sql, arguments: [low, low, low, high]) else {
            throw OpenrukoError(
                .unavailable, "Every app uid of \(low)-\(high) is in use; an admin can widen OPENRUKO_APP_UIDS.", resource: "app")
        }
        return UInt32(uid)
    }

    /// Looks an app up by name or by id.
    package func app(_ nameOrID: String) throws(OpenrukoError) -> App? {
        try read { db in try Self.fetchApp(db, nameOrID) }
    }

    /// All apps, by name.
    package func apps() throws(OpenrukoError) -> [App] {
        try read { db in try Self.fetchApps(db, AppRow.order(Column("name"))) }
    }

    /// Apps the user owns or collaborates on, by name.
    package func apps(accessibleBy userID: UUID) throws(OpenrukoError) -> [App] {
        try read { db in
            let request = AppRow.filter(
                sql: "owner_id = ? OR id IN (SELECT app_id FROM collaborators WHERE user_id = ?)",
                arguments: [userID.dbKey, userID.dbKey]
            ).order(Column("name"))
            return try Self.fetchApps(db, request)
        }
    }

    /// Deletes an app and everything that belongs to it (releases, slugs records, config…).
    package func deleteApp(id: UUID) throws(OpenrukoError) {
        try write { db in
            // Releases reference slugs with RESTRICT; drop them first so the cascade can proceed.
            try db.execute(sql: "DELETE FROM builds WHERE app_id = ?", arguments: [id.dbKey])
            try db.execute(sql: "DELETE FROM releases WHERE app_id = ?", arguments: [id.dbKey])
            _ = try AppRow.deleteOne(db, key: id.dbKey)
        }
    }

    /// Renames an app. With `movingFrom`, the name its files are still under is kept with the
    /// new one (in one transaction) until `finishRename` says they moved.
    package func renameApp(id: UUID, to name: String, movingFrom previous: String? = nil) throws(OpenrukoError) {
        try write { db in
            do {
                try db.execute(
                    sql: "UPDATE apps SET name = ?, renamed_from = ?, updated_at = ? WHERE id = ?",
                    arguments: [name, previous, Date(), id.dbKey])
            } catch let error as DatabaseError where error.isUniqueViolation {
                throw OpenrukoError(.conflict, "Name \(name) is already taken", resource: "app")
            }
        }
    }

    /// The app's files are all under its name now.
    package func finishRename(id: UUID) throws(OpenrukoError) {
        try write { db in try db.execute(sql: "UPDATE apps SET renamed_from = NULL WHERE id = ?", arguments: [id.dbKey]) }
    }

    /// Renames whose files may not all have moved (a daemon killed mid-way): app id, old and new name.
    package func unfinishedRenames() throws(OpenrukoError) -> [(id: UUID, from: String, to: String)] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT id, name, renamed_from FROM apps WHERE renamed_from IS NOT NULL").compactMap { row in
                guard let id = UUID(uuidString: row["id"]) else { return nil }
                return (id: id, from: row["renamed_from"], to: row["name"])
            }
        }
    }

    /// Replaces the app's buildpack list.
    package func setBuildpacks(appID: UUID, _ urls: [String]) throws(OpenrukoError) {
        try write { db in
            guard var row = try AppRow.fetchOne(db, key: appID.dbKey) else { throw OpenrukoError.appNotFound }
            row.buildpacks = urls
            row.updatedAt = Date()
            try row.update(db)
        }
    }

    /// Turns maintenance mode on or off.
    package func setMaintenance(appID: UUID, _ on: Bool) throws(OpenrukoError) {
        try write { db in
            try db.execute(sql: "UPDATE apps SET maintenance = ?, updated_at = ? WHERE id = ?", arguments: [on, Date(), appID.dbKey])
        }
    }

    /// Allows or forbids the app's container builds.
    package func setContainerBuilds(appID: UUID, _ on: Bool) throws(OpenrukoError) {
        try write { db in
            try db.execute(
                sql: "UPDATE apps SET container_builds = ?, updated_at = ? WHERE id = ?", arguments: [on, Date(), appID.dbKey])
        }
    }

    /// Sets the stack the app builds on.
    package func setStack(appID: UUID, _ stack: String) throws(OpenrukoError) {
        try write { db in
            try db.execute(sql: "UPDATE apps SET stack = ?, updated_at = ? WHERE id = ?", arguments: [stack, Date(), appID.dbKey])
        }
    }

    /// Whether the user owns the app or collaborates on it.
    package func hasAccess(userID: UUID, appID: UUID) throws(OpenrukoError) -> Bool {
        try read { db in
            try Bool.fetchOne(
                db,
                sql: """
                    SELECT EXISTS (SELECT 1 FROM apps WHERE id = ?1 AND owner_id = ?2)
                        OR EXISTS (SELECT 1 FROM collaborators WHERE app_id = ?1 AND user_id = ?2)
                    """, arguments: [appID.dbKey, userID.dbKey]) ?? false
        }
    }

    // MARK: Collaborators

    /// Adds a collaborator.
    /// - Throws: `conflict` if already one, `invalid` for the owner.
    package func addCollaborator(appID: UUID, userID: UUID) throws(OpenrukoError) -> Collaborator {
        let now = Date()
        let row = CollaboratorRow(id: UUID(), appId: appID, userId: userID, createdAt: now, updatedAt: now)
        return try write { db in
            guard let app = try AppRow.fetchOne(db, key: appID.dbKey) else { throw OpenrukoError.appNotFound }
            guard let user = try UserRow.fetchOne(db, key: userID.dbKey) else {
                throw OpenrukoError(.notFound, "Couldn't find that user.", resource: "user")
            }
            if app.ownerId == userID {
                throw OpenrukoError(.invalid, "\(user.email) owns \(app.name) already.", resource: "collaborator")
            }
            try insert(row, db, conflict: OpenrukoError(
                .conflict, "\(user.email) is already a collaborator on \(app.name).", resource: "collaborator"))
            return Collaborator(id: row.id, appID: appID, userID: userID, email: user.email, createdAt: now, updatedAt: now)
        }
    }

    /// Removes a collaborator.
    /// - Throws: `notFound` if the user is not one.
    package func removeCollaborator(appID: UUID, userID: UUID) throws(OpenrukoError) {
        try write { db in
            let deleted = try CollaboratorRow.filter(Column("app_id") == appID.dbKey && Column("user_id") == userID.dbKey)
                .deleteAll(db)
            if deleted == 0 { throw OpenrukoError(.notFound, "That user is not a collaborator on this app.", resource: "collaborator") }
        }
    }

    /// The app's collaborators, by e-mail.
    package func collaborators(appID: UUID) throws(OpenrukoError) -> [Collaborator] {
        try read { db in
            let rows = try CollaboratorRow.filter(Column("app_id") == appID.dbKey).fetchAll(db)
            return try rows.compactMap { row -> Collaborator? in
                guard let user = try UserRow.fetchOne(db, key: row.userId.dbKey) else { return nil }
                return Collaborator(
                    id: row.id, appID: row.appId, userID: row.userId, email: user.email, createdAt: row.createdAt,
                    updatedAt: row.updatedAt)
            }.sorted { $0.email < $1.email }
        }
    }

    // MARK: Domains

    /// Adds a custom hostname.
    /// - Throws: `conflict` when any app already has it.
    package func addDomain(appID: UUID, hostname: String) throws(OpenrukoError) -> Domain {
        let now = Date()
        let row = DomainRow(id: UUID(), appId: appID, hostname: hostname, createdAt: now, updatedAt: now)
        try write { db in
            try insert(row, db, conflict: OpenrukoError(.conflict, "\(hostname) is already in use by an app.", resource: "domain"))
        }
        return row.domain
    }

    /// Removes a hostname from the app.
    package func removeDomain(appID: UUID, hostname: String) throws(OpenrukoError) {
        try write { db in
            let n = try DomainRow.filter(Column("app_id") == appID.dbKey && Column("hostname") == hostname).deleteAll(db)
            if n == 0 { throw OpenrukoError(.notFound, "Couldn't find that domain.", resource: "domain") }
        }
    }

    /// The app's custom hostnames.
    package func domains(appID: UUID) throws(OpenrukoError) -> [Domain] {
        try read { db in
            try DomainRow.filter(Column("app_id") == appID.dbKey).order(Column("hostname")).fetchAll(db).map(\.domain)
        }
    }

    /// Every custom hostname with its app's name (for the router).
    package func allDomains() throws(OpenrukoError) -> [String: String] {
        try read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT d.hostname, a.name FROM domains d JOIN apps a ON a.id = d.app_id")
            return Dictionary(rows.map { ($0[0] as String, $0[1] as String) }, uniquingKeysWith: { a, _ in a })
        }
    }

    // MARK: Drains

    /// Adds a log drain.
    package func addDrain(appID: UUID, url: String) throws(OpenrukoError) -> LogDrain {
        let now = Date()
        let row = LogDrainRow(id: UUID(), appId: appID, url: url, token: "d.\(UUID().dbKey)", createdAt: now, updatedAt: now)
        try write { db in
            try insert(row, db, conflict: OpenrukoError(.conflict, "This app already drains to \(url).", resource: "log_drain"))
        }
        return row.drain
    }

    /// Removes a log drain by URL, token or id.
    package func removeDrain(appID: UUID, _ urlOrID: String) throws(OpenrukoError) -> LogDrain {
        try write { db in
            let request = LogDrainRow.filter(
                Column("app_id") == appID.dbKey
                    && (Column("url") == urlOrID || Column("token") == urlOrID || Column("id") == urlOrID.lowercased()))
            guard let row = try request.fetchOne(db) else {
                throw OpenrukoError(.notFound, "Couldn't find that log drain.", resource: "log_drain")
            }
            try row.delete(db)
            return row.drain
        }
    }

    /// The app's drains.
    package func drains(appID: UUID) throws(OpenrukoError) -> [LogDrain] {
        try read { db in
            try LogDrainRow.filter(Column("app_id") == appID.dbKey).order(Column("created_at")).fetchAll(db).map(\.drain)
        }
    }

    /// Every drain of every app (the log store follows them).
    package func allDrains() throws(OpenrukoError) -> [LogDrain] {
        try read { db in try LogDrainRow.order(Column("created_at")).fetchAll(db).map(\.drain) }
    }

    // MARK: Helpers

    static func fetchApp(_ db: Database, _ nameOrID: String) throws -> App? {
        let key = nameOrID.lowercased()
        // Most API requests come here: cached statements skip query building and parsing.
        let row =
            try AppRow.fetchOne(db.cachedStatement(sql: "SELECT * FROM apps WHERE name = ?"), arguments: [nameOrID])
            ?? (UUID(uuidString: key) != nil
                ? AppRow.fetchOne(db.cachedStatement(sql: "SELECT * FROM apps WHERE id = ?"), arguments: [key]) : nil)
        guard let row else { return nil }
        let email =
            try String.fetchOne(db.cachedStatement(sql: "SELECT email FROM users WHERE id = ?"), arguments: [row.ownerId.dbKey]) ?? ""
        return row.app(ownerEmail: email)
    }

    static func fetchApps(_ db: Database, _ request: QueryInterfaceRequest<AppRow>) throws -> [App] {
        let rows = try request.fetchAll(db)
        let emails = Dictionary(
            try Row.fetchAll(db, sql: "SELECT id, email FROM users").map { ($0[0] as String, $0[1] as String) },
            uniquingKeysWith: { a, _ in a })
        return rows.map { $0.app(ownerEmail: emails[$0.ownerId.dbKey] ?? "") }
    }
}
