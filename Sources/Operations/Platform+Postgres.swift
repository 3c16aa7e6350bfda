package import Foundation
package import OpenrukoCore
import Store

// MARK: - `pg:*`: info, backups, restores, credential rotation (issue 19)

/// One kept backup of an add-on database (`DATA_DIR/backups/ADDON-b001.dump`; `a001` for a
/// scheduled one, numbered in the same sequence).
package struct DatabaseBackup: Hashable, Sendable {
    /// `b001` (captured on demand) or `a002` (scheduled).
    package var id: String
    package var addonName: String
    package var path: String
    package var sizeBytes: Int64
    package var createdAt: Date

    /// Whether the schedule captured it (`a…`), not a user (`b…`).
    package var isScheduled: Bool { id.hasPrefix("a") }

    /// Whether `text` has the shape of a backup id (`b001`, `a12`): the letter and 1-9 digits.
    package static func isID(_ text: String) -> Bool {
        let lowered = text.lowercased()
        guard let first = lowered.first, first == "a" || first == "b", (2...10).contains(lowered.count) else { return false }
        return lowered.dropFirst().allSatisfy { $0.isASCII && $0.isNumber }
    }
}

extension Platform {
    /// The app's add-on database `which` (`DATABASE`, `HEROKU_POSTGRESQL_RED`, `…_URL`, or an
    /// add-on name), by default its `DATABASE`, else its first.
    package func database(_ appName: String, _ which: String?, as principal: Principal) throws(OpenrukoError) -> Addon {
        let app = try self.app(appName, as: principal)
        let addons = try store.addons(appID: app.id).filter { $0.service == AddonCatalog.postgres.name }
        let wanted = which.map { $0.hasSuffix("_URL") ? String($0.dropLast(4)) : $0 }
        let found =
            if let wanted {
                addons.first { $0.attachmentName == wanted.uppercased() || $0.name == wanted.lowercased() || $0.configVars.contains(wanted.uppercased() + "_URL") }
            } else {
                addons.first { $0.attachmentName == "DATABASE" } ?? addons.first
            }
        guard let found else {
            throw OpenrukoError(
                .notFound, which.map { "\(app.name) has no database \($0)." } ?? "\(app.name) has no database: addons:create \(app.name) heroku-postgresql",
                resource: "addon")
        }
        return found
    }

    /// The config var holding the URL of the app's database `which` (`pg:psql`; the default
    /// is `DATABASE`), for a one-off dyno to read in its own environment.
    package func databaseURLVariable(_ appName: String, _ which: String?, as principal: Principal) throws(OpenrukoError) -> String {
        let addon = try database(appName, which, as: principal)
        return addon.configVars.first { $0 == addon.attachmentName + "_URL" } ?? addon.configVars.first ?? addon.attachmentName + "_URL"
    }

    /// Each add-on database of the app with its server's version, size and connections.
    package func databaseInfo(_ appName: String, as principal: Principal) async throws(OpenrukoError) -> [(Addon, DatabaseInfo)] {
        let app = try self.app(appName, as: principal)
        var infos: [(Addon, DatabaseInfo)] = []
        for addon in try store.addons(appID: app.id) where addon.service == AddonCatalog.postgres.name { infos.append((addon, try await databases.info(addon.credentials))) }
        return infos
    }

    /// `pg:backups:capture`: a `pg_dump -Fc` kept as the add-on's next backup (`b001`, `b002`…).
    package func captureBackup(_ appName: String, _ which: String?, as principal: Principal) async throws(OpenrukoError) -> DatabaseBackup {
        let addon = try database(appName, which, as: principal)
        let backup = try await capture(addon, prefix: "b")
        logAPI(try app(appName, as: principal), "Backup \(backup.id) of \(addon.attachmentName) captured by user \(try attribution(principal).email)")
        return backup
    }

    /// Captures the add-on's next backup, `PREFIX` and the next number of its sequence (`b004`).
    /// One capture of an add-on runs at a time, whichever process asks (the daemon's scheduler
    /// and SSH commands, `openruko admin`): each holds the add-on's `backup-ADDON` lock while it
    /// numbers its backup and writes it, so two captures never take the same number (the
    /// number comes from the kept files, and the second would replace the first's).
    func capture(_ addon: Addon, prefix: String) async throws(OpenrukoError) -> DatabaseBackup {
        let lock = try await FileLock.acquire(layout.lock("backup-" + addon.name))
        defer { lock.unlock() }
        let next = (try backups(of: addon).compactMap { Int($0.id.dropFirst()) }.max() ?? 0) + 1
        let id = prefix + String(repeating: "0", count: max(0, 3 - String(next).count)) + String(next)
        let path = layout.backups + "/\(addon.name)-\(id).dump"
        try await databases.backup(addon.credentials, to: path)
        return try backups(of: addon).first { $0.id == id } ?? DatabaseBackup(id: id, addonName: addon.name, path: path, sizeBytes: 0, createdAt: Date())
    }

    /// The backups of the app's add-on databases, oldest first.
    package func backups(_ appName: String, as principal: Principal) throws(OpenrukoError) -> [DatabaseBackup] {
        let app = try self.app(appName, as: principal)
        var all: [DatabaseBackup] = []
        for addon in try store.addons(appID: app.id) { all += try backups(of: addon) }
        return all.sorted { $0.createdAt < $1.createdAt }
    }

    /// `pg:backups:restore`: replaces the database's contents with a backup (its own newest by
    /// default), restored as its own role: one of its own, one of the app's other databases
    /// (`b003`, when only one of them has it) or one of another app's (`OTHER::b003`, Heroku's
    /// form; that app must be the user's too).
    /// - Parameters:
    ///   - confirm: must be the app's name (the database's current contents are lost).
    package func restoreBackup(
        _ appName: String, backup id: String?, into which: String?, confirm: String?, as principal: Principal
    ) async throws(OpenrukoError) -> (Addon, DatabaseBackup) {
        let addon = try database(appName, which, as: principal)
        guard confirm == addon.appName else {
            throw OpenrukoError(
                .invalid, "This replaces the contents of \(addon.attachmentName) of \(addon.appName). To proceed, pass --confirm \(addon.appName).",
                resource: "addon")
        }
        let backup = try backupToRestore(id, into: addon, of: appName, as: principal)
        try await databases.restore(addon.credentials, from: backup.path)
        logAPI(try app(appName, as: principal), "Backup \(backup.id) restored to \(addon.attachmentName) by user \(try attribution(principal).email)")
        return (addon, backup)
    }

    /// `pg:credentials:rotate`: a new password for the database's role (its open connections
    /// end) and its URL in the config vars in a new release, so the dynos restart with it.
    package func rotateCredentials(
        _ appName: String, _ which: String?, confirm: String?, as principal: Principal, output: @escaping @Sendable (String) -> Void = { _ in }
    ) async throws(OpenrukoError) -> (Addon, Release) {
        let addon = try database(appName, which, as: principal)
        guard confirm == addon.appName else {
            throw OpenrukoError(
                .invalid, "This ends every connection to \(addon.attachmentName) and restarts \(addon.appName). To proceed, pass --confirm \(addon.appName).",
                resource: "addon")
        }
        let app = try self.app(appName, as: principal)
        let actor = try attribution(principal)
        let rotated = try await databases.rotate(addon.credentials)
        let description = "Update \(addon.attachmentName) by \(addon.service)"
        let release = try store.updateAddonCredentials(
            addon, to: rotated, description: description, actor: actor,
            status: try initialStatus(slugID: try store.currentRelease(appID: app.id)?.slugID))
        logAPI(app, "\(description) (credentials rotated) by user \(actor.email)")
        try await updateAttachments(of: addon, to: rotated.url, description: description, actor: actor)
        var updated = addon
        updated.credentials = rotated
        return (updated, await publish(release, of: app, actor: actor, output: output))
    }

    /// The backup `reference` names for a restore into `target`, a database of `appName`
    /// (`restoreBackup`).
    func backupToRestore(_ reference: String?, into target: Addon, of appName: String, as principal: Principal) throws(OpenrukoError)
        -> DatabaseBackup
    {
        guard let reference else {
            guard let newest = try backups(of: target).last else {
                throw OpenrukoError(.notFound, "\(target.attachmentName) has no backup.", resource: "backup")
            }
            return newest
        }
        let parts = reference.components(separatedBy: "::")
        let id = parts.last!.lowercased()
        guard parts.count <= 2, DatabaseBackup.isID(id) else {
            throw OpenrukoError(.invalid, "\(reference.debugDescription) is not a backup: name one as b001, or OTHER_APP::b001.", resource: "backup")
        }
        let owner = try self.app(parts.count == 2 ? parts[0] : appName, as: principal)
        let databases = try store.addons(appID: owner.id).filter { $0.service == AddonCatalog.postgres.name }
        // A bare id is the target's own first, then another of the app's databases'.
        let isBare = parts.count == 1
        var found = isBare ? try backups(of: target).filter { $0.id == id } : []
        if found.isEmpty {
            for database in databases where !isBare || database.id != target.id { found += try backups(of: database).filter { $0.id == id } }
        }
        guard found.count == 1, let backup = found.first else {
            throw found.isEmpty
                ? OpenrukoError(.notFound, "Couldn't find backup \(id) of \(owner.name).", resource: "backup")
                : OpenrukoError(
                    .conflict, "\(owner.name) has a backup \(id) of several databases (\(found.map(\.addonName).joined(separator: ", "))): "
                        + "restore it into the database it was taken from, or capture a new backup and restore that.", resource: "backup")
        }
        return backup
    }

    /// The kept `bNNN` backups of one add-on, oldest first.
    func backups(of addon: Addon) throws(OpenrukoError) -> [DatabaseBackup] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: layout.backups)) ?? []
        let prefix = addon.name + "-"
        return names.filter { $0.hasPrefix(prefix) && $0.hasSuffix(".dump") }.compactMap { name -> DatabaseBackup? in
            let id = String(name.dropFirst(addon.name.count + 1).dropLast(5))
            guard DatabaseBackup.isID(id), id == id.lowercased() else { return nil }
            let path = layout.backups + "/" + name
            let attributes = (try? FileManager.default.attributesOfItem(atPath: path)) ?? [:]
            return DatabaseBackup(
                id: id, addonName: addon.name, path: path, sizeBytes: (attributes[.size] as? NSNumber)?.int64Value ?? 0,
                createdAt: attributes[.modificationDate] as? Date ?? Date())
        }.sorted { (Int($0.id.dropFirst()) ?? 0, $0.id) < (Int($1.id.dropFirst()) ?? 0, $1.id) }
    }
}
