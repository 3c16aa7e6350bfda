import Foundation
package import OpenrukoCore
import Isolation
import SystemPackage

/// openruko's own PostgreSQL server (Debian's `postgresql`) under `DATA_DIR/services/postgresql`:
/// `data/` (made by `initdb` on first use, with a self-signed certificate), `run/` (the
/// admin's Unix socket), `log/`, and `port` (its TCP port on 127.0.0.1, chosen once). It runs
/// as the `postgres` system user when openruko is root (as the invoking user otherwise),
/// started by `pg_ctl`, so it outlives a crashed daemon and its data never depends on one;
/// every openruko process may start it (under a lock), the daemon's `PostgresSupervisor`
/// restarts it when it dies and stops it when the daemon stops.
///
/// ```swift
/// let server = PostgresServer.forInstallation(layout)
/// let port = try await server.ensureRunning()
/// let rows = try await server.psql("SELECT 1")
/// ```
package struct PostgresServer: Sendable {
    let layout: DataLayout
    /// The dynos' subnet and gateway (kernel networking), nil when they share the host's network.
    let dynoNetwork: (subnet: String, gateway: String)?
    /// The system user the server runs as (openruko is root), nil for the invoking user.
    let serverUser: String?

    var root: String { layout.postgres }
    var data: String { root + "/data" }
    var socketDirectory: String { root + "/run" }
    var logFile: String { root + "/log/postgresql.log" }
    var portFile: String { root + "/port" }
    /// Where dynos reach the server: their gateway, or the loopback they share with the host.
    package var host: String { dynoNetwork?.gateway ?? "127.0.0.1" }

    init(layout: DataLayout, dynoNetwork: (subnet: String, gateway: String)?, serverUser: String?) {
        self.layout = layout
        self.dynoNetwork = dynoNetwork
        self.serverUser = serverUser
    }

    /// The server of this data directory, with the dyno networking the daemon recorded
    /// (`recordDynoNetwork`), else this process's view of it.
    package static func forInstallation(_ layout: DataLayout) -> PostgresServer {
        let recorded = (try? String(contentsOfFile: networkFile(layout), encoding: .utf8))?.split(separator: " ").map {
            $0.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let dynoNetwork: (subnet: String, gateway: String)?
        if let recorded, recorded.count == 2 {
            dynoNetwork = (recorded[0], recorded[1])
        } else if recorded?.first == "host" {
            dynoNetwork = nil
        } else {
            dynoNetwork = ((try? SandboxNetwork.kernel()) ?? nil).map { ($0.plan.subnet, $0.plan.gateway) }
        }
        return PostgresServer(layout: layout, dynoNetwork: dynoNetwork, serverUser: geteuid() == 0 ? "postgres" : nil)
    }

    /// Records how the daemon's dynos reach the server (their subnet and gateway, or nil: the
    /// host's network), so `openruko admin` and the git hook give add-ons the same URL host.
    package static func recordDynoNetwork(_ layout: DataLayout, subnet: String?, gateway: String?) {
        let text = subnet.flatMap { subnet in gateway.map { "\(subnet) \($0)\n" } } ?? "host\n"
        try? PostgresServer(layout: layout, dynoNetwork: nil, serverUser: nil).makeDirectories()
        try? text.write(toFile: networkFile(layout), atomically: true, encoding: .utf8)
    }

    static func networkFile(_ layout: DataLayout) -> String { layout.postgres + "/dyno-network" }

    /// Whether `initdb` has made the cluster.
    package var isInitialized: Bool { FileManager.default.fileExists(atPath: data + "/PG_VERSION") }

    /// Whether the server's postmaster is alive (its `postmaster.pid`).
    package var isRunning: Bool {
        guard let text = try? String(contentsOfFile: data + "/postmaster.pid", encoding: .utf8),
            let line = text.split(separator: "\n").first, let pid = Int32(line.trimmingCharacters(in: .whitespaces)), pid > 0
        else { return false }
        return kill(pid, 0) == 0 || errno == EPERM
    }

    /// The server's TCP port, chosen (free, from `PostgresSettings.ports`) and recorded the first time.
    package func port() async throws(OpenrukoError) -> Int {
        if let text = try? String(contentsOfFile: portFile, encoding: .utf8), let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
            return port
        }
        try makeDirectories()
        for _ in 0..<50 {
            let port = Int.random(in: PostgresSettings.ports)
            let listening = try await PostgresCommand.run(["/usr/bin/ss", "-Hltn", "sport = :\(port)"])
            guard listening.ok, listening.output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { continue }
            do {
                try "\(port)\n".write(toFile: portFile, atomically: true, encoding: .utf8)
            } catch {
                throw OpenrukoError(.unavailable, "Cannot write \(portFile): \(error.localizedDescription)")
            }
            return port
        }
        throw OpenrukoError(.unavailable, "Found no free port for PostgreSQL in \(PostgresSettings.ports).")
    }

    /// Starts the server when it is not running, making the cluster first when there is none,
    /// and (re)writes its configuration.
    /// - Returns: its port.
    /// - Throws: `OpenrukoError.unavailable` with what failed (never a password).
    @discardableResult
    package func ensureRunning() async throws(OpenrukoError) -> Int {
        try await start().port
    }

    /// `ensureRunning`, telling whether this call started the server (it was found stopped
    /// under the lock; another process may have started it meanwhile).
    func start() async throws(OpenrukoError) -> (port: Int, started: Bool) {
        let lock = try await FileLock.acquire(layout.lock("postgresql"))
        defer { lock.unlock() }
        let port = try await port()
        let owner = try await ownerIDs()
        let fresh = !isInitialized
        if fresh { try await initialize(owner: owner) }
        let settings = PostgresSettings(
            port: port, socketDirectory: socketDirectory, dynoSubnet: dynoNetwork?.subnet,
            osUsers: serverUser.map { ["root", $0] } ?? [NSUserName()])
        var changed = false
        for (file, text) in [("postgresql.conf", settings.conf), ("pg_hba.conf", settings.hba), ("pg_ident.conf", settings.ident)] {
            changed = try writePrivate(data + "/" + file, text, owner: owner) || changed
        }
        if isRunning {
            if changed { _ = try await PostgresCommand.run(pgCtl(["reload"]), as: serverUser) }
            return (port, false)
        }
        let started = try await PostgresCommand.run(pgCtl(["-l", logFile, "-w", "-t", "120", "start"]), as: serverUser)
        guard started.ok else {
            let tail = (try? String(contentsOfFile: logFile, encoding: .utf8))?.split(separator: "\n").suffix(5).joined(separator: "\n") ?? ""
            throw OpenrukoError(.unavailable, "PostgreSQL did not start: \(started.error.trimmingCharacters(in: .whitespacesAndNewlines)) \(tail)")
        }
        if fresh {
            // Tenants' roles connect only to their own database (pg_hba says so too).
            _ = try await psql("REVOKE CONNECT, TEMPORARY ON DATABASE postgres, template1 FROM PUBLIC;")
            // Dynos reach it from now on. Optional here: without a daemon (no bridge, no chains
            // yet) there are no dynos, and every daemon adds the rule at its start.
            if dynoNetwork != nil, let network = try? SandboxNetwork.kernel() {
                try? await network.allow(address: "127.0.0.1", port: port, tag: DaemonRuntime.networkTag(layout))
            } else if dynoNetwork == nil {
                UserNetwork.ofDataDirectory(run: layout.run)?.allow(port: port)  // pasta's dynos (openruko not root)
            }
        }
        return (port, true)
    }

    /// Stops the server (fast: open transactions are rolled back, the data stays consistent).
    package func stop() async {
        guard isInitialized, isRunning else { return }
        _ = try? await PostgresCommand.run(pgCtl(["-m", "fast", "-w", "-t", "60", "stop"]), as: serverUser)
    }

    /// Runs SQL as the superuser over the private socket (the server must be running).
    /// - Returns: the unaligned, tuples-only output.
    /// - Throws: `OpenrukoError.unavailable` with psql's error.
    func psql(_ sql: String, database: String = "postgres") async throws(OpenrukoError) -> String {
        let result = try await PostgresCommand.run(
            [binary("psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", socketDirectory, "-p", String(try await port()),
             "-U", "postgres", "-d", database], input: sql)
        guard result.ok else {
            throw OpenrukoError(.unavailable, "PostgreSQL refused: \(result.error.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return result.output
    }

    /// `pg_ctl -D DATA` plus `arguments`.
    func pgCtl(_ arguments: [String]) -> [String] { [binary("pg_ctl"), "-D", data, "-s"] + arguments }

    /// A PostgreSQL program from the newest installed version (`/usr/lib/postgresql/N/bin`).
    func binary(_ name: String) -> String { PostgresCommand.binary(name) }
}
