import Foundation
package import OpenrukoCore
import SystemPackage

/// Add-on databases on openruko's `PostgresServer`: a role and a database of the same random
/// name (`pg_hba.conf`'s `sameuser` lets a role into its own database only), the role with a
/// random password, the plan's connection limit and no privilege beyond owning its database.
///
/// ```swift
/// let credentials = try await PostgresProvisioner(server: server).provision(plan: plan)
/// credentials.url   // postgres://dabc…:…@10.212.0.1:16432/dabc…?sslmode=require
/// ```
package struct PostgresProvisioner: DatabaseProvisioner {
    let server: PostgresServer

    package init(server: PostgresServer) {
        self.server = server
    }

    package func provision(plan: AddonPlan) async throws(OpenrukoError) -> DatabaseCredentials {
        let port = try await server.ensureRunning()
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        let name = "d" + String((0..<13).map { _ in alphabet.randomElement(using: &generator)! })
        let password = Self.randomPassword()
        let credentials = DatabaseCredentials(host: server.host, port: port, database: name, role: name, password: password)
        let sql = """
            CREATE ROLE "\(name)" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS CONNECTION LIMIT \(plan.connectionLimit) PASSWORD '\(password)';
            CREATE DATABASE "\(name)" OWNER "\(name)" ENCODING 'UTF8' TEMPLATE template0;
            REVOKE ALL ON DATABASE "\(name)" FROM PUBLIC;

            """
        do {
            _ = try await server.psql(sql)
        } catch {
            try? await deprovision(credentials, backup: nil)
            throw OpenrukoError(error.kind, error.message.replacingOccurrences(of: password, with: "…"), resource: "addon")
        }
        return credentials
    }

    package func deprovision(_ credentials: DatabaseCredentials, backup: String?) async throws(OpenrukoError) {
        let name = try Self.checked(credentials)
        let port = try await server.ensureRunning()
        let exists = try await server.psql("SELECT 1 FROM pg_database WHERE datname = '\(name)';").contains("1")
        if exists, let backup {
            do {
                try await dump(name, port: port, to: backup)
            } catch {
                throw OpenrukoError(error.kind, error.message + " Nothing was destroyed.", resource: "addon")
            }
        }
        _ = try await server.psql(
            """
            DROP DATABASE IF EXISTS "\(name)" WITH (FORCE);
            DROP ROLE IF EXISTS "\(name)";

            """)
    }

    /// `pg_dump -Fc` of `database` into `path` (0600, under a 0700 `DATA_DIR/backups`).
    func dump(_ database: String, port: Int, to path: String) async throws(OpenrukoError) {
        let directory = (path as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        chmod(directory, 0o700)
        let file: FileDescriptor
        do {
            file = try FileDescriptor.open(
                FilePath(path), .writeOnly, options: [.create, .truncate, .closeOnExec], permissions: [.ownerReadWrite])
        } catch {
            throw OpenrukoError(.unavailable, "Cannot write the backup \(path): \(error)")
        }
        defer { try? file.close() }
        let result = try await PostgresCommand.run(
            [server.binary("pg_dump"), "-Fc", "-h", server.socketDirectory, "-p", String(port), "-U", "postgres", "-d", database],
            outputFile: file)
        guard result.ok else {
            try? FileManager.default.removeItem(atPath: path)
            throw OpenrukoError(
                .unavailable, "The backup failed: \(result.error.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
    }
}
