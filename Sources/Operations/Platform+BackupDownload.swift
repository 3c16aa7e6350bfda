package import Foundation
package import OpenrukoCore

// MARK: - `pg:backups:download`

extension Platform {
    /// `pg:backups:download`: streams one backup of the app's database `which` (the newest by
    /// default) to `send` in chunks, never holding the file in memory (`send` applies the
    /// reader's backpressure). The bytes are the `pg_dump -Fc` file, for `pg_restore`.
    /// - Throws: `OpenrukoError.notFound` for an unknown backup; `invalid` for an id that is
    ///   not one (`b001`, `a002`); `unavailable` when the file cannot be read; whatever `send`
    ///   throws ends the stream.
    package func sendBackup(
        _ appName: String, backup id: String?, of which: String?, as principal: Principal, to send: (Data) async throws -> Void
    ) async throws -> DatabaseBackup {
        let addon = try database(appName, which, as: principal)
        if let id, !DatabaseBackup.isID(id) {
            throw OpenrukoError(
                .invalid, "\(String(id.prefix(40)).debugDescription) is not a backup id: give one pg:backups \(addon.appName) lists, such as b001.",
                resource: "backup")
        }
        let kept = try backups(of: addon)
        guard let backup = id.map({ id in kept.first { $0.id == id.lowercased() } }) ?? kept.last else {
            throw OpenrukoError(
                .notFound, id.map { "Couldn't find backup \($0) of \(addon.attachmentName)." } ?? "\(addon.attachmentName) has no backup.",
                resource: "backup")
        }
        // Opened once: a backup removed meanwhile (retention) is still read whole.
        guard let file = FileHandle(forReadingAtPath: backup.path) else {
            throw OpenrukoError(.unavailable, "Cannot read backup \(backup.id) of \(addon.attachmentName).", resource: "backup")
        }
        defer { try? file.close() }
        logAPI(try app(appName, as: principal), "Backup \(backup.id) of \(addon.attachmentName) downloaded by user \(try attribution(principal).email)")
        while true {
            let chunk: Data
            do {
                chunk = try file.read(upToCount: 256 << 10) ?? Data()
            } catch {
                throw OpenrukoError(.unavailable, "Cannot read backup \(backup.id) of \(addon.attachmentName): \(error.localizedDescription)")
            }
            if chunk.isEmpty { return backup }
            try await send(chunk)
        }
    }
}
