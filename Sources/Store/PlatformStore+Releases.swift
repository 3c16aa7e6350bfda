package import Foundation
import GRDB
package import OpenrukoCore

// MARK: - Config vars and releases

extension PlatformStore {
    /// The app's current config vars.
    package func config(appID: UUID) throws(OpenrukoError) -> [String: String] {
        try read { db in try Self.fetchConfig(db, appID) }
    }

    /// Applies a config change and records it as the next release, in one transaction.
    /// The release reuses the current release's slug.
    /// - Parameters:
    ///   - set: keys to set.
    ///   - unset: keys to remove.
    ///   - status: `pending` when a release phase must run first, else `succeeded`.
    /// Heroku's limit on an app's config vars, names and values together, in bytes.
    package static let configSizeLimit = 32 * 1024

    package func updateConfig(
        appID: UUID, set: [String: String], unset: [String], description: String, actor: Attribution, status: Release.Status
    ) throws(OpenrukoError) -> Release {
        try write { db in
            for key in unset {
                try ConfigVarRow.filter(Column("app_id") == appID.dbKey && Column("key") == key).deleteAll(db)
            }
            for (key, value) in set.sorted(by: { $0.key < $1.key }) {
                try ConfigVarRow(appId: appID, key: key, value: value).upsert(db)
            }
            let config = try Self.fetchConfig(db, appID)
            let size = config.reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count }
            guard size <= Self.configSizeLimit else {
                throw OpenrukoError(
                    .invalid,
                    "Config vars would take \(size) bytes; an app's config vars (names and values together) are limited to "
                        + "\(Self.configSizeLimit / 1024) kB. Nothing was changed; keep large data in a file or an add-on.",
                    resource: "config_var")
            }
            let current = try Self.currentReleaseRow(db, appID)
            let row = try Self.insertRelease(
                db, appID: appID, slugID: current?.slugId, config: config, description: description, actor: actor, status: status)
            return row.release(currentVersion: try Self.currentVersion(db, appID))
        }
    }

    /// Creates the next release of an app (a deploy): the version is assigned atomically.
    package func createRelease(
        appID: UUID, slugID: UUID?, description: String, actor: Attribution, status: Release.Status
    ) throws(OpenrukoError) -> Release {
        try write { db in
            if let slugID, try Self.isExpired(db, slugID: slugID) {
                throw OpenrukoError(.invalid, "Slug \(slugID.uuidString.lowercased()) has expired: its archive was removed by retention.",
                    resource: "slug")
            }
            let config = try Self.fetchConfig(db, appID)
            let row = try Self.insertRelease(
                db, appID: appID, slugID: slugID, config: config, description: description, actor: actor, status: status)
            return row.release(currentVersion: try Self.currentVersion(db, appID))
        }
    }

    /// Creates "Rollback to vN": a new release with vN's slug and config; the app's config
    /// vars become vN's.
    /// - Throws: `notFound` when vN does not exist, `invalid` when it did not succeed.
    package func rollback(appID: UUID, to version: Int, actor: Attribution, status: Release.Status) throws(OpenrukoError)
        -> Release
    {
        try write { db in
            guard let target = try Self.releaseRow(db, appID, version: version) else {
                throw OpenrukoError(.notFound, "Couldn't find release v\(version).", resource: "release")
            }
            guard target.status == Release.Status.succeeded.rawValue else {
                throw OpenrukoError(.invalid, "Release v\(version) \(target.status == "failed" ? "failed" : "is still pending"); "
                    + "roll back to a release that succeeded.", resource: "release")
            }
            if let slugID = target.slugId, try Self.isExpired(db, slugID: slugID) {
                throw OpenrukoError(.invalid, "Release v\(version) has expired: its slug was removed by retention.", resource: "release")
            }
            try ConfigVarRow.filter(Column("app_id") == appID.dbKey).deleteAll(db)
            for (key, value) in target.config { try ConfigVarRow(appId: appID, key: key, value: value).insert(db) }
            let row = try Self.insertRelease(
                db, appID: appID, slugID: target.slugId, config: target.config, description: "Rollback to v\(version)",
                actor: actor, status: status)
            return row.release(currentVersion: try Self.currentVersion(db, appID))
        }
    }

    /// Decides a pending release.
    /// - Throws: `conflict` if the release was already decided (releases are immutable).
    package func setReleaseStatus(id: UUID, _ status: Release.Status) throws(OpenrukoError) -> Release {
        try write { db in
            guard var row = try ReleaseRow.fetchOne(db, key: id.dbKey) else {
                throw OpenrukoError(.notFound, "Couldn't find that release.", resource: "release")
            }
            guard row.status == Release.Status.pending.rawValue else {
                throw OpenrukoError(.conflict, "Release v\(row.version) is already \(row.status).", resource: "release")
            }
            row.status = status.rawValue
            row.updatedAt = Date()
            try row.update(db)
            // Every change to an app's release list changes the app's updated_at (list caches key on it).
            try db.execute(sql: "UPDATE apps SET updated_at = ? WHERE id = ?", arguments: [row.updatedAt, row.appId.dbKey])
            return row.release(currentVersion: try Self.currentVersion(db, row.appId))
        }
    }

    /// All releases of the app, oldest first.
    package func releases(appID: UUID) throws(OpenrukoError) -> [Release] {
        try read { db in
            let current = try Self.currentVersion(db, appID)
            let expired = try Self.expiredSlugs(db, appID)
            return try ReleaseRow.filter(Column("app_id") == appID.dbKey).order(Column("version")).fetchAll(db)
                .map { $0.release(currentVersion: current, expired: expired) }
        }
    }

    /// One page of the app's releases, in version order, without reading the others.
    /// - Parameters:
    ///   - after: only versions after this one in the chosen order (exclusive); nil for the start.
    ///   - through: only versions up to this one in the chosen order (inclusive); nil for no end.
    ///   - descending: newest first.
    ///   - limit: at most this many.
    package func releases(appID: UUID, after: Int?, through: Int?, descending: Bool, limit: Int) throws(OpenrukoError) -> [Release] {
        try read { db in
            let current = try Self.currentVersion(db, appID)
            var request = ReleaseRow.filter(Column("app_id") == appID.dbKey)
            if let after { request = request.filter(descending ? Column("version") < after : Column("version") > after) }
            if let through { request = request.filter(descending ? Column("version") >= through : Column("version") <= through) }
            let expired = try Self.expiredSlugs(db, appID)
            return try request.order(descending ? Column("version").desc : Column("version")).limit(limit).fetchAll(db)
                .map { $0.release(currentVersion: current, expired: expired) }
        }
    }

    /// The app's newest release version (an index lookup); 0 when it has none.
    package func latestReleaseVersion(appID: UUID) throws(OpenrukoError) -> Int {
        try read { db in
            try Int.fetchOne(db.cachedStatement(sql: "SELECT MAX(version) FROM releases WHERE app_id = ?"), arguments: [appID.dbKey]) ?? 0
        }
    }

    /// Release vN of the app.
    package func release(appID: UUID, version: Int) throws(OpenrukoError) -> Release? {
        try read { db in
            try Self.releaseRow(db, appID, version: version)?.release(
                currentVersion: try Self.currentVersion(db, appID), expired: try Self.expiredSlugs(db, appID))
        }
    }

    /// A release by id.
    package func release(id: UUID) throws(OpenrukoError) -> Release? {
        try read { db in
            guard let row = try ReleaseRow.fetchOne(db, key: id.dbKey) else { return nil }
            return row.release(currentVersion: try Self.currentVersion(db, row.appId), expired: try Self.expiredSlugs(db, row.appId))
        }
    }

    /// The app's current release: the newest one that succeeded.
    package func currentRelease(appID: UUID) throws(OpenrukoError) -> Release? {
        try read { db in
            guard let row = try Self.currentReleaseRow(db, appID) else { return nil }
            return row.release(currentVersion: row.version)
        }
    }

    // MARK: Helpers

    static func insertRelease(
        _ db: Database, appID: UUID, slugID: UUID?, config: [String: String], description: String, actor: Attribution,
        status: Release.Status
    ) throws -> ReleaseRow {
        let last = try Int.fetchOne(db, sql: "SELECT MAX(version) FROM releases WHERE app_id = ?", arguments: [appID.dbKey]) ?? 0
        let now = Date()
        let row = ReleaseRow(
            id: UUID(), appId: appID, version: last + 1, slugId: slugID, config: config, description: description,
            userId: actor.userID, userEmail: actor.email, status: status.rawValue, createdAt: now, updatedAt: now)
        try row.insert(db)
        try db.execute(sql: "UPDATE apps SET updated_at = ? WHERE id = ?", arguments: [now, appID.dbKey])
        return row
    }

    static func fetchConfig(_ db: Database, _ appID: UUID) throws -> [String: String] {
        let rows = try ConfigVarRow.filter(Column("app_id") == appID.dbKey).fetchAll(db)
        return Dictionary(rows.map { ($0.key, $0.value) }, uniquingKeysWith: { _, b in b })
    }

    static func currentVersion(_ db: Database, _ appID: UUID) throws -> Int? {
        try Int.fetchOne(
            db, sql: "SELECT MAX(version) FROM releases WHERE app_id = ? AND status = 'succeeded'", arguments: [appID.dbKey])
    }

    static func currentReleaseRow(_ db: Database, _ appID: UUID) throws -> ReleaseRow? {
        try ReleaseRow.filter(Column("app_id") == appID.dbKey && Column("status") == "succeeded")
            .order(Column("version").desc).fetchOne(db)
    }

    /// The app's slugs whose artifact retention removed.
    static func expiredSlugs(_ db: Database, _ appID: UUID) throws -> Set<UUID> {
        Set(try String.fetchAll(db, sql: "SELECT id FROM slugs WHERE app_id = ? AND expired_at IS NOT NULL", arguments: [appID.dbKey])
            .compactMap(UUID.init(uuidString:)))
    }

    static func isExpired(_ db: Database, slugID: UUID) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT expired_at IS NOT NULL FROM slugs WHERE id = ?", arguments: [slugID.dbKey]) ?? false
    }

    static func releaseRow(_ db: Database, _ appID: UUID, version: Int) throws -> ReleaseRow? {
        try ReleaseRow.filter(Column("app_id") == appID.dbKey && Column("version") == version).fetchOne(db)
    }
}
