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
        let name = Self.randomName()
        let password = Self.randomPassword()
        let credentials = DatabaseCredentials(host: server.host, port: port, database: name, role: name, password: password)
        // The role only if the plan's connections fit beside the other databases' (checked and
        // created under one lock, so two at once cannot both take the last room).
        let sql = """
            BEGIN;
            SELECT pg_advisory_xact_lock(\(Self.capacityLock));
            DO $$ DECLARE used bigint; BEGIN
              SELECT COALESCE(SUM(rolconnlimit), 0) INTO used FROM pg_roles WHERE rolcanlogin AND NOT rolsuper AND rolconnlimit > 0;
              IF used + \(plan.connectionLimit) > \(PostgresSettings.tenantConnections) THEN
                RAISE EXCEPTION 'openruko-room %', GREATEST(\(PostgresSettings.tenantConnections) - used, 0);
              END IF;
            END $$;
            CREATE ROLE "\(name)" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS CONNECTION LIMIT \(plan.connectionLimit) PASSWORD '\(password)';
            COMMIT;
            CREATE DATABASE "\(name)" OWNER "\(name)" ENCODING 'UTF8' TEMPLATE template0;
            REVOKE ALL ON DATABASE "\(name)" FROM PUBLIC;

            """
        do {
            _ = try await server.psql(sql)
        } catch {
            if let room = Self.room(in: error.message) {
                throw OpenrukoError(
                    .conflict,
                    "The PostgreSQL server has room for \(room) more connections; plan \(plan.name) needs \(plan.connectionLimit). "
                        + "Choose a smaller plan (essential-0 has 20), or destroy a database you no longer use.", resource: "addon")
            }
            try? await deprovision(credentials, backup: nil)
            throw Self.scrubbed(error, secret: password)
        }
        return credentials
    }

    /// The advisory lock that serializes the connection check of new databases.
    static let capacityLock = 730_501

    /// The room the server said it had, from the check's `openruko-room N` error.
    static func room(in message: String) -> Int? {
        guard let range = message.range(of: "openruko-room ") else { return nil }
        return Int(message[range.upperBound...].prefix { $0.isNumber })
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

    /// `pg_dump -Fc` of `database` into `path` (`writeBackup`).
    func dump(_ database: String, port: Int, to path: String) async throws(OpenrukoError) {
        try await Self.writeBackup(
            to: path, dump: [server.binary("pg_dump"), "-Fc", "-h", server.socketDirectory, "-p", String(port), "-U", "postgres", "-d", database])
    }

    /// Runs `dump` (a `pg_dump -Fc` command line) into `path`: 0600, under a 0700 directory.
    /// The dump is written beside it (`PATH.partial`) and renamed when it is whole, so a listing
    /// never shows, and a restore never reads, half a backup; it goes again when the dump fails.
    /// - Parameters:
    ///   - environment: the program's additions (a password); `scrub` cleans its error text.
    static func writeBackup(
        to path: String, dump: [String], environment: [String: String] = [:], scrub: (String) -> String = { $0 }
    ) async throws(OpenrukoError) {
        let directory = (path as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        chmod(directory, 0o700)
        let partial = path + ".partial"
        let file: FileDescriptor
        do {
            file = try FileDescriptor.open(
                FilePath(partial), .writeOnly, options: [.create, .truncate, .closeOnExec, .noFollow], permissions: [.ownerReadWrite])
        } catch {
            throw OpenrukoError(.unavailable, "Cannot write the backup \(path): \(error)")
        }
        let result: PostgresCommand.Result
        do {
            result = try await PostgresCommand.run(dump, outputFile: file, environment: environment)
        } catch {
            try? file.close()
            try? FileManager.default.removeItem(atPath: partial)
            throw error
        }
        try? file.close()
        if result.ok && rename(partial, path) == 0 { return }
        // Read before anything else can change errno.
        let reason = result.ok ? "cannot name the finished dump (\(String(cString: strerror(errno))))" : scrub(result.error)
        try? FileManager.default.removeItem(atPath: partial)
        throw OpenrukoError(.unavailable, "The backup failed: " + reason.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
