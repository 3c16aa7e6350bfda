import Foundation
package import OpenrukoCore

/// Add-on databases on a server an admin runs (`OPENRUKO_POSTGRES_ADMIN_URL`) instead of
/// openruko's own: the same role and database of one random name, made by the URL's role
/// (which may `CREATE DATABASE` and `CREATE ROLE`, and becomes a member of each role it
/// makes, to own and drop its database). Backups, restores and `pg:info` connect as the
/// database's own role. Every program gets the passwords in its environment only, and every
/// message is scrubbed of them. The plan's connections are the role's `CONNECTION LIMIT`;
/// the server's capacity is the admin's to size.
///
/// ```swift
/// let provisioner = ExternalPostgresProvisioner(admin: url, dynoHost: "10.212.0.1")
/// let credentials = try await provisioner.provision(plan: plan)   // on url.host
/// ```
package struct ExternalPostgresProvisioner: DatabaseProvisioner {
    let admin: PostgresAdminURL
    /// The host dynos reach the server at (their gateway when it is on the host's loopback).
    let dynoHost: String

    package init(admin: PostgresAdminURL, dynoHost: String) {
        self.admin = admin
        self.dynoHost = dynoHost
    }

    package func provision(plan: AddonPlan) async throws(OpenrukoError) -> DatabaseCredentials {
        let name = PostgresProvisioner.randomName()
        let password = PostgresProvisioner.randomPassword()
        let credentials = DatabaseCredentials(host: dynoHost, port: admin.port, database: name, role: name, password: password)
        // CREATE DATABASE runs outside a transaction: each statement on its own, stopping at the first error.
        let sql = """
            CREATE ROLE "\(name)" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS CONNECTION LIMIT \(plan.connectionLimit) PASSWORD '\(password)';
            GRANT "\(name)" TO CURRENT_USER;
            CREATE DATABASE "\(name)" OWNER "\(name)" ENCODING 'UTF8' TEMPLATE template0;
            REVOKE ALL ON DATABASE "\(name)" FROM PUBLIC;

            """
        do {
            _ = try await psql(sql)
        } catch {
            try? await deprovision(credentials, backup: nil)
            throw PostgresProvisioner.scrubbed(error, secret: password)
        }
        return credentials
    }

    package func deprovision(_ credentials: DatabaseCredentials, backup: String?) async throws(OpenrukoError) {
        let name = try PostgresProvisioner.checked(credentials)
        let exists = try await psql("SELECT 1 FROM pg_database WHERE datname = '\(name)';").contains("1")
        if exists, let backup {
            do {
                try await self.backup(credentials, to: backup)
            } catch {
                throw OpenrukoError(error.kind, error.message + " Nothing was destroyed.", resource: "addon")
            }
        }
        _ = try await psql(
            """
            DROP DATABASE IF EXISTS "\(name)" WITH (FORCE);
            DROP ROLE IF EXISTS "\(name)";

            """)
    }

    package func backup(_ credentials: DatabaseCredentials, to path: String) async throws(OpenrukoError) {
        let name = try PostgresProvisioner.checked(credentials)
        try await PostgresProvisioner.writeBackup(
            to: path, dump: [PostgresCommand.binary("pg_dump"), "-Fc", "-h", admin.host, "-p", String(admin.port), "-U", name, "-d", name],
            environment: environment(credentials), scrub: { scrub($0, credentials) })
    }

    package func restore(_ credentials: DatabaseCredentials, from path: String) async throws(OpenrukoError) {
        let name = try PostgresProvisioner.checked(credentials)
        let result = try await PostgresCommand.run(
            [PostgresCommand.binary("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
             "--exit-on-error", "-h", admin.host, "-p", String(admin.port), "-U", name, "-d", name, path],
            environment: environment(credentials))
        guard result.ok else {
            throw OpenrukoError(.unavailable, "The restore failed and was rolled back: " + scrub(result.error, credentials), resource: "addon")
        }
    }

    package func rotate(_ credentials: DatabaseCredentials) async throws(OpenrukoError) -> DatabaseCredentials {
        let name = try PostgresProvisioner.checked(credentials)
        var rotated = credentials
        rotated.password = PostgresProvisioner.randomPassword()
        rotated.host = dynoHost
        rotated.port = admin.port
        do {
            _ = try await psql(PostgresProvisioner.rotation(role: name, password: rotated.password))
        } catch {
            throw PostgresProvisioner.scrubbed(error, secret: rotated.password)
        }
        return rotated
    }

    package func info(_ credentials: DatabaseCredentials) async throws(OpenrukoError) -> DatabaseInfo {
        let name = try PostgresProvisioner.checked(credentials)
        let sql = """
            SELECT current_setting('server_version'), pg_database_size(current_database()),
              (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()),
              (SELECT count(*) FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema'));

            """
        let result = try await PostgresCommand.run(
            [PostgresCommand.binary("psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", admin.host, "-p", String(admin.port),
             "-U", name, "-d", name],
            input: sql, environment: environment(credentials))
        let fields = result.output.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "|").map(String.init)
        guard result.ok, fields.count == 4 else {
            throw OpenrukoError(.unavailable, "PostgreSQL gave no information about \(name): " + scrub(result.error, credentials))
        }
        return DatabaseInfo(
            version: fields[0].split(separator: " ").first.map(String.init) ?? fields[0], sizeBytes: Int64(fields[1]) ?? 0,
            connections: Int(fields[2]) ?? 0, tables: Int(fields[3]) ?? 0)
    }

    /// Runs SQL as the admin's role on its database.
    /// - Returns: the unaligned, tuples-only output.
    /// - Throws: `OpenrukoError.unavailable` with psql's error, without the admin's password.
    func psql(_ sql: String) async throws(OpenrukoError) -> String {
        let result = try await PostgresCommand.run(
            [PostgresCommand.binary("psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", admin.host, "-p", String(admin.port),
             "-U", admin.user, "-d", admin.database],
            input: sql, environment: ["PGPASSWORD": admin.password, "PGSSLMODE": admin.sslMode, "PGAPPNAME": "openruko"])
        guard result.ok else {
            throw OpenrukoError(
                .unavailable, "The PostgreSQL server \(admin.redacted) refused: " + admin.scrub(result.error.trimmingCharacters(in: .whitespacesAndNewlines)))
        }
        return result.output
    }

    /// A program's environment to connect as the database's own role.
    func environment(_ credentials: DatabaseCredentials) -> [String: String] {
        ["PGPASSWORD": credentials.password, "PGSSLMODE": admin.sslMode, "PGAPPNAME": "openruko"]
    }

    /// An error text without either password.
    func scrub(_ text: String, _ credentials: DatabaseCredentials) -> String {
        admin.scrub(text.replacingOccurrences(of: credentials.password, with: "…")).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
