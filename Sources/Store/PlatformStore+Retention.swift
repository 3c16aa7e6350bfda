package import Foundation
import GRDB
package import OpenrukoCore

// MARK: - Retention and the facts of garbage collection

extension PlatformStore {
    /// Decides an app's artifacts with `rule` and, when `apply`, marks the slugs that expire
    /// now, in one write transaction: a release created or rolled back to at the same moment
    /// is either seen by the decision (and its slug kept) or refused afterwards (its slug is
    /// expired), so the current release's artifact is never decided away.
    /// - Parameters:
    ///   - pinned: slugs to keep whatever the rule says.
    ///   - apply: false for a dry run (nothing is written).
    /// - Returns: the decision; its `expiring` slugs are expired when this returns (if `apply`).
    package func retention(
        appID: UUID, rule: RetentionRule, pinned: Set<UUID> = [], now: Date = Date(), apply: Bool
    ) throws(OpenrukoError) -> RetentionRule.Decision {
        let decide = { (db: Database) throws -> RetentionRule.Decision in
            let releases = try Row.fetchAll(
                db, sql: "SELECT version, slug_id, status, created_at FROM releases WHERE app_id = ?", arguments: [appID.dbKey]
            ).map { row in
                RetentionRule.ReleaseFact(
                    version: row["version"], slugID: (row["slug_id"] as String?).flatMap(UUID.init(uuidString:)),
                    status: Release.Status(rawValue: row["status"]) ?? .failed, createdAt: row["created_at"])
            }
            let slugs = try Row.fetchAll(
                db, sql: "SELECT id, created_at, expired_at IS NOT NULL AS expired FROM slugs WHERE app_id = ?", arguments: [appID.dbKey]
            ).compactMap { row -> RetentionRule.SlugFact? in
                guard let id = UUID(uuidString: row["id"]) else { return nil }
                return RetentionRule.SlugFact(id: id, createdAt: row["created_at"], expired: row["expired"])
            }
            let decision = rule.decide(releases: releases, slugs: slugs, pinned: pinned, now: now)
            if apply {
                for id in decision.expiring {
                    try db.execute(sql: "UPDATE slugs SET expired_at = ? WHERE id = ?", arguments: [now, id.dbKey])
                }
                if !decision.expiring.isEmpty {
                    // The release list reads differently now (list caches key on updated_at).
                    try db.execute(sql: "UPDATE apps SET updated_at = ? WHERE id = ?", arguments: [now, appID.dbKey])
                }
            }
            return decision
        }
        return apply ? try write(decide) : try read(decide)
    }

    /// What the garbage collector must know of every app, slug and build (ids and states
    /// only; no build output is read). `liveSlugs` holds the slugs of current and pending
    /// releases and those made within `fresh` seconds.
    package func garbageFacts(now: Date = Date(), fresh: TimeInterval) throws(OpenrukoError) -> GarbageRule.Facts {
        try read { db in
            var facts = GarbageRule.Facts(now: now)
            for row in try Row.fetchAll(db, sql: "SELECT id, name, sandbox_uid FROM apps") {
                guard let id = UUID(uuidString: row["id"]) else { continue }
                facts.appIDs.insert(id)
                facts.appsByName[row["name"]] = id
                if let uid = row["sandbox_uid"] as Int64? { facts.appsByUID[UInt32(truncatingIfNeeded: uid)] = id }
            }
            let cutoff = now.addingTimeInterval(-fresh)
            for row in try Row.fetchAll(db, sql: "SELECT id, app_id, created_at, expired_at IS NOT NULL AS expired FROM slugs") {
                guard let id = UUID(uuidString: row["id"]), let app = UUID(uuidString: row["app_id"]) else { continue }
                facts.slugApps[id] = app
                if row["expired"] { facts.expiredSlugs.insert(id) }
                if (row["created_at"] as Date) > cutoff { facts.liveSlugs.insert(id) }
            }
            let live = try String.fetchAll(
                db,
                sql: """
                    SELECT slug_id FROM releases r WHERE slug_id IS NOT NULL AND (status = 'pending' OR version = (
                        SELECT MAX(version) FROM releases c WHERE c.app_id = r.app_id AND c.status = 'succeeded'))
                    """)
            facts.liveSlugs.formUnion(live.compactMap(UUID.init(uuidString:)))
            for row in try Row.fetchAll(db, sql: "SELECT id, app_id, status FROM builds") {
                guard let id = UUID(uuidString: row["id"]), let app = UUID(uuidString: row["app_id"]) else { continue }
                facts.buildApps[id] = app
                if (row["status"] as String) == "pending" { facts.pendingBuilds.insert(id) }
            }
            return facts
        }
    }
}
