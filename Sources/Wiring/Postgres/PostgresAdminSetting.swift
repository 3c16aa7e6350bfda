import Foundation
package import OpenrukoCore

/// Where add-on databases are made: on the server `OPENRUKO_POSTGRES_ADMIN_URL` names, else
/// on openruko's own (`PostgresServer`). The daemon records its setting in
/// `DATA_DIR/services/postgresql/admin-url` (0600) at start, so `openruko admin` and the git
/// hook, started without the variable, make databases where the daemon does.
package enum PostgresAdminSetting {
    /// The recorded setting.
    static func file(_ layout: DataLayout) -> String { layout.postgres + "/admin-url" }

    /// The admin's server: the variable when set, else what the daemon recorded; nil for openruko's own.
    /// - Throws: `OpenrukoError.invalid` for a malformed URL (the message never quotes it).
    package static func current(_ layout: DataLayout, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(OpenrukoError) -> PostgresAdminURL?
    {
        let text = environment[PostgresAdminURL.variable] ?? (try? String(contentsOfFile: file(layout), encoding: .utf8))
        guard let text, !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return nil }
        return try PostgresAdminURL(parsing: text)
    }

    /// The daemon's setting, recorded for the other openruko processes (removed when unset).
    /// - Throws: `OpenrukoError.invalid` for a malformed URL; `unavailable` when it cannot be written.
    package static func record(_ layout: DataLayout, environment: [String: String] = ProcessInfo.processInfo.environment) throws(OpenrukoError) {
        let path = file(layout)
        guard let text = environment[PostgresAdminURL.variable], !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            try? FileManager.default.removeItem(atPath: path)
            return
        }
        _ = try PostgresAdminURL(parsing: text)
        try PostgresServer(layout: layout, dynoNetwork: nil, serverUser: nil).makeDirectories()
        let made = FileManager.default.createFile(atPath: path + ".new", contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
        guard made, rename(path + ".new", path) == 0 else {
            throw OpenrukoError(.unavailable, "Cannot record \(PostgresAdminURL.variable) in \(path).")
        }
    }

    /// The provisioner of add-on databases for this data directory.
    package static func provisioner(_ layout: DataLayout, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(OpenrukoError) -> any DatabaseProvisioner
    {
        let server = PostgresServer.forInstallation(layout)
        guard let admin = try current(layout, environment: environment) else { return PostgresProvisioner(server: server) }
        return ExternalPostgresProvisioner(admin: admin, dynoHost: admin.isLoopback ? server.host : admin.host)
    }
}
