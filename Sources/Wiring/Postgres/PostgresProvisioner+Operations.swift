import Foundation
package import OpenrukoCore

// MARK: - Backups, restores, credential rotation, info (`pg:*`)

extension PostgresProvisioner {
    package func backup(_ credentials: DatabaseCredentials, to path: String) async throws(OpenrukoError) {
        let name = try Self.checked(credentials)
        try await dump(name, port: try await server.ensureRunning(), to: path)
    }

    package func restore(_ credentials: DatabaseCredentials, from path: String) async throws(OpenrukoError) {
        let name = try Self.checked(credentials)
        let port = try await server.ensureRunning()
        // As the database's own role, over TLS on the loopback: the dump runs with no more
        // rights than the app's own connections have.
        let result = try await PostgresCommand.run(
            [server.binary("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
             "--exit-on-error", "-h", "127.0.0.1", "-p", String(port), "-U", name, "-d", name, path],
            environment: ["PGPASSWORD": credentials.password, "PGSSLMODE": "require"])
        guard result.ok else {
            throw OpenrukoError(
                .unavailable, "The restore failed and was rolled back: "
                    + result.error.replacingOccurrences(of: credentials.password, with: "…").trimmingCharacters(in: .whitespacesAndNewlines),
                resource: "addon")
        }
    }

    package func rotate(_ credentials: DatabaseCredentials) async throws(OpenrukoError) -> DatabaseCredentials {
        let name = try Self.checked(credentials)
        let port = try await server.ensureRunning()
        var rotated = credentials
        rotated.password = Self.randomPassword()
        rotated.port = port
        rotated.host = server.host
        do {
            _ = try await server.psql(Self.rotation(role: name, password: rotated.password))
        } catch {
            throw Self.scrubbed(error, secret: rotated.password)
        }
        return rotated
    }

    package func info(_ credentials: DatabaseCredentials) async throws(OpenrukoError) -> DatabaseInfo {
        let name = try Self.checked(credentials)
        try await server.ensureRunning()
        let row = try await server.psql(
            "SELECT current_setting('server_version'), pg_database_size('\(name)'), "
                + "(SELECT count(*) FROM pg_stat_activity WHERE datname = '\(name)');")
        let tables = try await server.psql(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema');", database: name)
        let fields = row.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "|").map(String.init)
        guard fields.count == 3 else { throw OpenrukoError(.unavailable, "PostgreSQL gave no information about \(name).") }
        return DatabaseInfo(
            version: fields[0].split(separator: " ").first.map(String.init) ?? fields[0], sizeBytes: Int64(fields[1]) ?? 0,
            connections: Int(fields[2]) ?? 0, tables: Int(tables.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0)
    }

    /// The database (and role) name, when it is one openruko made.
    /// The SQL that gives `role` a new password and ends its sessions (they reconnect with it).
    static func rotation(role: String, password: String) -> String {
        """
        ALTER ROLE "\(role)" PASSWORD '\(password)';
        SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = '\(role)';

        """
    }

    /// `error` with `secret` cut out of its message (psql may echo the statement that failed).
    static func scrubbed(_ error: OpenrukoError, secret: String) -> OpenrukoError {
        OpenrukoError(error.kind, error.message.replacingOccurrences(of: secret, with: "…"), resource: "addon")
    }

    static func checked(_ credentials: DatabaseCredentials) throws(OpenrukoError) -> String {
        guard PostgresSettings.isSafeName(credentials.database), credentials.role == credentials.database else {
            throw OpenrukoError(.internal, "The add-on's database name \(credentials.database.debugDescription) is not one openruko made.")
        }
        return credentials.database
    }

    /// A new role and database name: `d` and 13 random lowercase letters and digits.
    static func randomName() -> String {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        return "d" + String((0..<13).map { _ in alphabet.randomElement(using: &generator)! })
    }

    /// 32 random bytes in hex.
    static func randomPassword() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }
}
