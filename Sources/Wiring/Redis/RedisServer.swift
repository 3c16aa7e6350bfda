import Foundation
import OpenrukoCore

/// One add-on's Redis server (Debian's `redis-server`) under `DATA_DIR/services/redis/ID`:
/// `redis.conf` (rewritten at every start), `data/` (the append-only file and `dump.rdb`),
/// `redis.log`, `redis.pid` and `port`. It runs as the `redis` system user when openruko is
/// root (as the invoking user otherwise), daemonized, so it outlives a crashed daemon; every
/// openruko process may start it (under a lock), the daemon's `RedisSupervisor` restarts it
/// when it dies and stops it when the daemon stops.
///
/// ```swift
/// let server = RedisServer(layout: layout, id: "rabc…", serverUser: "redis")
/// try await server.start(settings)
/// ```
struct RedisServer: Sendable {
    let layout: DataLayout
    /// The random name of the server (`DatabaseCredentials.database`), checked by `RedisServer.isValidID`.
    let id: String
    /// The system user the server runs as (openruko is root), nil for the invoking user.
    let serverUser: String?

    /// `DATA_DIR/services/redis`.
    static func base(_ layout: DataLayout) -> String { layout.root + "/services/redis" }
    var root: String { Self.base(layout) + "/" + id }
    var pidFile: String { root + "/redis.pid" }
    var portFile: String { root + "/port" }
    var confFile: String { root + "/redis.conf" }

    /// Whether `id` is a server name openruko makes (`r` and 13 lowercase letters or digits).
    static func isValidID(_ id: String) -> Bool {
        id.count == 14 && id.hasPrefix("r") && id.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) }
    }

    /// The servers made on this data directory (their directories).
    static func all(_ layout: DataLayout, serverUser: String?) -> [RedisServer] {
        ((try? FileManager.default.contentsOfDirectory(atPath: base(layout))) ?? []).filter(isValidID).sorted().map {
            RedisServer(layout: layout, id: $0, serverUser: serverUser)
        }
    }

    /// Whether the server's directory exists.
    var exists: Bool { FileManager.default.fileExists(atPath: confFile) }

    /// The recorded TCP port.
    var port: Int? { (try? String(contentsOfFile: portFile, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } }

    /// The live server's pid (its pid file names a live `redis-server`, not a zombie).
    var pid: Int32? {
        guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
            let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0,
            let command = try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8), command.hasPrefix("redis-server"),
            let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let state = stat.split(separator: ")").last?.split(separator: " ").first, state != "Z"  // a zombie is dead
        else { return nil }
        return pid
    }

    /// Whether the server is alive.
    var isRunning: Bool { pid != nil }

    /// Writes the configuration (when given; else the one on disk stays) and starts the
    /// server when it is not running.
    /// - Returns: whether this call started it.
    /// - Throws: `OpenrukoError.unavailable` with what failed (never the password).
    @discardableResult
    func start(_ settings: RedisSettings?) async throws(OpenrukoError) -> Bool {
        let lock = try await FileLock.acquire(layout.lock("redis-" + id))
        defer { lock.unlock() }
        let owner = try await ownerIDs()
        try makeDirectories(owner: owner)
        if let settings {
            try writePrivate(confFile, settings.conf, owner: owner)
            try writePrivate(portFile, "\(settings.port)\n", owner: nil)
        }
        guard let port = settings?.port ?? self.port, exists else { throw OpenrukoError(.unavailable, "The Redis server \(id) has no configuration.") }
        if isRunning { return false }
        let started = try await PostgresCommand.run(["/usr/bin/redis-server", confFile], as: serverUser)
        guard started.ok else {
            throw OpenrukoError(.unavailable, "redis-server did not start: \(started.error.trimmingCharacters(in: .whitespacesAndNewlines)) \(logTail)")
        }
        for _ in 0..<600 {  // up to 60 s: replaying a large append-only file takes a while
            if isRunning, try await listening(port) { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        throw OpenrukoError(.unavailable, "redis-server did not come up: \(logTail)")
    }

    /// Whether something listens on 127.0.0.1:`port`.
    func listening(_ port: Int) async throws(OpenrukoError) -> Bool {
        let result = try await PostgresCommand.run(["/usr/bin/ss", "-Hltn", "sport = :\(port)"])
        return result.ok && !result.output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
    }

    /// Stops the server with SIGTERM (it writes its final snapshot first), waiting up to a minute.
    func stop() async {
        guard let pid else { return }
        kill(pid, SIGTERM)
        for _ in 0..<600 where self.pid != nil { try? await Task.sleep(for: .milliseconds(100)) }
    }

    /// The last lines of the server's log.
    var logTail: String {
        (try? String(contentsOfFile: root + "/redis.log", encoding: .utf8))?.split(separator: "\n").suffix(3).joined(separator: "\n") ?? ""
    }

    /// The uid and gid the server's files belong to (nil: this process's own).
    func ownerIDs() async throws(OpenrukoError) -> (uid: UInt32, gid: UInt32)? {
        guard let serverUser else { return nil }
        let entry = try await PostgresCommand.run(["/usr/bin/getent", "passwd", serverUser])
        let fields = entry.output.split(separator: ":", omittingEmptySubsequences: false)
        guard entry.ok, fields.count >= 4, let uid = UInt32(fields[2]), let gid = UInt32(fields[3]), uid != 0 else {
            throw OpenrukoError(.unavailable, "There is no \(serverUser) system user: install redis-server (scripts/install-deps).")
        }
        return (uid, gid)
    }

    /// `services/redis` (searchable, not listable) and the server's private directories.
    func makeDirectories(owner: (uid: UInt32, gid: UInt32)?) throws(OpenrukoError) {
        let directories = [
            (layout.root + "/services", 0o711, false), (Self.base(layout), 0o711, false), (root, 0o700, true), (root + "/data", 0o700, true),
        ]
        for (directory, mode, owned) in directories {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw OpenrukoError(.unavailable, "Cannot create \(directory): \(error.localizedDescription)")
            }
            chmod(directory, mode_t(mode))
            if owned, let owner { lchown(directory, owner.uid, owner.gid) }
        }
    }

    /// Writes `text` to `path` (0600, owned by `owner` when given).
    func writePrivate(_ path: String, _ text: String, owner: (uid: UInt32, gid: UInt32)?) throws(OpenrukoError) {
        do {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw OpenrukoError(.unavailable, "Cannot write \(path): \(error.localizedDescription)")
        }
        chmod(path, 0o600)
        if let owner { lchown(path, owner.uid, owner.gid) }
    }
}
