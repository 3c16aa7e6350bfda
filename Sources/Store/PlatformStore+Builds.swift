package import Foundation
import GRDB
package import OpenrukoCore

// MARK: - Slugs, builds and formation

extension PlatformStore {
    /// Records a slug that has been written to disk.
    package func createSlug(
        appID: UUID, id: UUID = UUID(), processTypes: [String: String], size: Int64, checksum: String, commit: String?,
        commitDescription: String?, buildpackDescription: String?, stack: String, images: [String: ContainerImage]? = nil
    ) throws(OpenrukoError) -> Slug {
        let row = SlugRow(
            id: id, appId: appID, processTypes: processTypes, size: size, checksum: checksum, commit: commit,
            commitDescription: commitDescription, buildpackDescription: buildpackDescription, stack: stack, createdAt: Date(),
            images: images)
        try write { db in try row.insert(db) }
        return row.slug
    }

    /// Records the size and checksum of a slug's archive once it is on disk (API uploads).
    package func setSlugArchive(id: UUID, size: Int64, checksum: String) throws(OpenrukoError) {
        try write { db in
            try db.execute(sql: "UPDATE slugs SET size = ?, checksum = ? WHERE id = ?", arguments: [size, checksum, id.dbKey])
        }
    }

    /// A slug by id.
    package func slug(id: UUID) throws(OpenrukoError) -> Slug? {
        try read { db in try SlugRow.fetchOne(db, key: id.dbKey)?.slug }
    }

    /// Every slug of the app, oldest first.
    package func slugs(appID: UUID) throws(OpenrukoError) -> [Slug] {
        try read { db in try SlugRow.filter(Column("app_id") == appID.dbKey).order(Column("created_at")).fetchAll(db).map(\.slug) }
    }

    // MARK: Builds

    /// Starts a build record (status pending).
    package func createBuild(appID: UUID, commit: String?, buildpacks: [String], actor: Attribution) throws(OpenrukoError) -> Build {
        let now = Date()
        let row = BuildRow(
            id: UUID(), appId: appID, status: Build.Status.pending.rawValue, commit: commit, userId: actor.userID,
            userEmail: actor.email, buildpacks: buildpacks, output: "", slugId: nil, releaseId: nil, createdAt: now, updatedAt: now)
        try write { db in try row.insert(db) }
        return row.build
    }

    /// Finishes a build with its outcome and full output.
    package func finishBuild(
        id: UUID, status: Build.Status, output: String, buildpacks: [String]? = nil, slugID: UUID?, releaseID: UUID?
    ) throws(OpenrukoError) -> Build {
        try write { db in
            guard var row = try BuildRow.fetchOne(db, key: id.dbKey) else {
                throw OpenrukoError(.notFound, "Couldn't find that build.", resource: "build")
            }
            row.status = status.rawValue
            row.output = output
            if let buildpacks { row.buildpacks = buildpacks }
            row.slugId = slugID
            row.releaseId = releaseID
            row.updatedAt = Date()
            try row.update(db)
            return row.build
        }
    }

    /// The app's builds, oldest first.
    package func builds(appID: UUID) throws(OpenrukoError) -> [Build] {
        try read { db in
            try BuildRow.filter(Column("app_id") == appID.dbKey).order(Column("created_at"), Column("id")).fetchAll(db).map(\.build)
        }
    }

    /// A build by id.
    package func build(id: UUID) throws(OpenrukoError) -> Build? {
        try read { db in try BuildRow.fetchOne(db, key: id.dbKey)?.build }
    }

    /// Pushed deploys held until git moves their branch: the pending releases whose build has
    /// already succeeded (only a push's build ends before its release is decided), each with
    /// the commit it deploys.
    package func heldReleases() throws(OpenrukoError) -> [(release: Release, commit: String)] {
        try read { db in
            try ReleaseRow.filter(Column("status") == Release.Status.pending.rawValue).fetchAll(db).compactMap { row in
                let build = try BuildRow.filter(
                    Column("release_id") == row.id.dbKey && Column("status") == Build.Status.succeeded.rawValue
                ).fetchOne(db)
                guard let commit = build?.commit else { return nil }
                return (row.release(currentVersion: try Self.currentVersion(db, row.appId)), commit)
            }
        }
    }

    /// A build's stored output.
    package func buildOutput(id: UUID) throws(OpenrukoError) -> String? {
        try read { db in try String.fetchOne(db, sql: "SELECT output FROM builds WHERE id = ?", arguments: [id.dbKey]) }
    }

    // MARK: Formation

    /// The app's formation, by type.
    package func formation(appID: UUID) throws(OpenrukoError) -> [FormationEntry] {
        try read { db in try FormationRow.filter(Column("app_id") == appID.dbKey).order(Column("type")).fetchAll(db).map(\.entry) }
    }

    /// Sets quantities (and sizes) of existing process types, all or nothing.
    /// - Throws: `notFound` naming the first type the app does not declare.
    package func scale(appID: UUID, _ changes: [(type: String, quantity: Int?, size: String?)]) throws(OpenrukoError)
        -> [FormationEntry]
    {
        try write { db in
            var updated: [FormationEntry] = []
            for change in changes {
                guard var row = try FormationRow.filter(Column("app_id") == appID.dbKey && Column("type") == change.type).fetchOne(db)
                else {
                    throw OpenrukoError(.notFound, "Couldn't find that process type (\(change.type)).", resource: "formation")
                }
                if let quantity = change.quantity { row.quantity = quantity }
                if let size = change.size { row.size = size }
                row.updatedAt = Date()
                try row.update(db)
                updated.append(row.entry)
            }
            return updated
        }
    }

    /// Makes the formation match a release's process types: new types are added (`web` at 1,
    /// others at 0), commands updated, vanished types removed. `release` is never scaled.
    package func applyProcessTypes(appID: UUID, _ processTypes: [String: String]) throws(OpenrukoError) -> [FormationEntry] {
        try write { db in
            let existing = try FormationRow.filter(Column("app_id") == appID.dbKey).fetchAll(db)
            let wanted = processTypes.filter { $0.key != ProcessType.release.rawValue }
            for row in existing where wanted[row.type] == nil { try row.delete(db) }
            let now = Date()
            for (type, command) in wanted.sorted(by: { $0.key < $1.key }) {
                if var row = existing.first(where: { $0.type == type }) {
                    guard row.command != command else { continue }
                    row.command = command
                    row.updatedAt = now
                    try row.update(db)
                } else {
                    try FormationRow(
                        id: UUID(), appId: appID, type: type, quantity: type == ProcessType.web.rawValue ? 1 : 0,
                        size: FormationEntry.defaultSize, command: command, createdAt: now, updatedAt: now
                    ).insert(db)
                }
            }
            return try FormationRow.filter(Column("app_id") == appID.dbKey).order(Column("type")).fetchAll(db).map(\.entry)
        }
    }
}
