import Foundation
package import OpenrukoCore
import Isolation

/// Add-on Redis servers: one `RedisServer` per add-on, with a random name and password (the
/// ACL user `default`), the plan's `maxmemory` (`noeviction`) and `maxclients`, reachable by
/// dynos at their gateway. Its credentials: `role` `default`, `database` the server's name.
///
/// ```swift
/// let credentials = try await RedisProvisioner(layout: layout).provision(plan: plan)
/// credentials.url   // redis://:…@10.212.0.1:14123
/// ```
package struct RedisProvisioner: DatabaseProvisioner {
    let layout: DataLayout
    /// Where dynos reach the servers (their gateway, or the host's loopback), and whether they have their own network.
    let postgres: PostgresServer

    package init(layout: DataLayout) {
        self.layout = layout
        postgres = PostgresServer.forInstallation(layout)
    }

    /// The system user the servers run as (openruko is root), nil for the invoking user.
    static var serverUser: String? { geteuid() == 0 ? "redis" : nil }

    package func provision(plan: AddonPlan) async throws(OpenrukoError) -> DatabaseCredentials {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        let id = "r" + String((0..<13).map { _ in alphabet.randomElement(using: &generator)! })
        let password = PostgresProvisioner.randomPassword()
        let hash = try await PostgresCommand.run(["/usr/bin/sha256sum"], input: password).output.prefix(64)
        guard RedisSettings.isValidHash(String(hash)) else { throw OpenrukoError(.unavailable, "sha256sum failed.", resource: "addon") }
        let server = RedisServer(layout: layout, id: id, serverUser: Self.serverUser)
        let port = try await freePort(server)
        let settings = RedisSettings(
            port: port, directory: server.root, passwordHash: String(hash), maxMemoryBytes: plan.maxMemoryBytes, maxClients: plan.connectionLimit)
        do {
            try await server.start(settings)
        } catch {
            await server.stop()
            try? FileManager.default.removeItem(atPath: server.root)
            throw error
        }
        // Dynos reach it from now on (without a daemon there are no dynos; every daemon adds
        // the rules of every server at its start).
        if postgres.dynoNetwork != nil, let network = try? SandboxNetwork.kernel() {
            try? await network.allow(address: "127.0.0.1", port: port, tag: DaemonRuntime.networkTag(layout))
        } else if postgres.dynoNetwork == nil {
            UserNetwork.ofDataDirectory(run: layout.run)?.allow(port: port)  // pasta's dynos (openruko not root)
        }
        return DatabaseCredentials(host: postgres.host, port: port, database: id, role: DatabaseCredentials.redisRole, password: password)
    }

    /// Stops the server (it writes its final snapshot), copies `data/dump.rdb` to `backup`
    /// (when given; 0600 under a 0700 `DATA_DIR/backups`), then removes its directory.
    package func deprovision(_ credentials: DatabaseCredentials, backup: String?) async throws(OpenrukoError) {
        guard RedisServer.isValidID(credentials.database) else { throw OpenrukoError(.invalid, "Not a Redis add-on.", resource: "addon") }
        let server = RedisServer(layout: layout, id: credentials.database, serverUser: Self.serverUser)
        guard server.exists else { return }
        if !server.isRunning { try await server.start(nil) }  // its final snapshot holds the append-only file's data
        await server.stop()
        // Dynos no longer reach its port (another host service may take it later).
        if postgres.dynoNetwork != nil, let network = try? SandboxNetwork.kernel() {
            try? await network.disallow(address: "127.0.0.1", port: credentials.port, tag: DaemonRuntime.networkTag(layout))
        } else if postgres.dynoNetwork == nil {
            UserNetwork.ofDataDirectory(run: layout.run)?.disallow(port: credentials.port)
        }
        let snapshot = server.root + "/data/dump.rdb"
        if let backup, FileManager.default.fileExists(atPath: snapshot) {
            let directory = (backup as NSString).deletingLastPathComponent
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            chmod(directory, 0o700)
            do {
                try? FileManager.default.removeItem(atPath: backup)
                try FileManager.default.copyItem(atPath: snapshot, toPath: backup)
                chmod(backup, 0o600)
                chown(backup, geteuid(), getegid())
            } catch {
                throw OpenrukoError(.unavailable, "The backup failed: \(error.localizedDescription) Nothing was destroyed.", resource: "addon")
            }
        }
        do {
            try FileManager.default.removeItem(atPath: server.root)
        } catch {
            throw OpenrukoError(.unavailable, "Cannot remove \(server.root): \(error.localizedDescription)", resource: "addon")
        }
    }

    package func backup(_ credentials: DatabaseCredentials, to path: String) async throws(OpenrukoError) { throw Self.refusal }

    package func restore(_ credentials: DatabaseCredentials, from path: String) async throws(OpenrukoError) { throw Self.refusal }

    package func rotate(_ credentials: DatabaseCredentials) async throws(OpenrukoError) -> DatabaseCredentials { throw Self.refusal }

    package func info(_ credentials: DatabaseCredentials) async throws(OpenrukoError) -> DatabaseInfo { throw Self.refusal }

    static let refusal = OpenrukoError(.invalid, "This is a Redis add-on: pg:* commands act on PostgreSQL add-ons only.", resource: "addon")

    /// A port of `RedisSettings.ports` no server of this data directory has and nothing listens on.
    func freePort(_ server: RedisServer) async throws(OpenrukoError) -> Int {
        let taken = Set(RedisServer.all(layout, serverUser: nil).compactMap(\.port))
        for _ in 0..<50 {
            let port = Int.random(in: RedisSettings.ports)
            if taken.contains(port) { continue }
            if try await server.listening(port) { continue }
            return port
        }
        throw OpenrukoError(.unavailable, "Found no free port for Redis in \(RedisSettings.ports).", resource: "addon")
    }
}
