import OpenrukoCore

/// The configuration openruko gives one add-on's Redis server, as data (written at every
/// start): TCP on the host's loopback only (dynos reach it through their gateway, by a DNAT
/// rule like `OPENRUKO_DYNO_ALLOW`'s), protected mode, one ACL user `default` with the
/// password's SHA-256 (the file never holds the password) and without the commands that
/// reconfigure, replicate, stop or extend the server or write files where it chooses, the
/// plan's `maxmemory` with `noeviction` and its `maxclients`, and both persistences (an
/// append-only file, and RDB snapshots for the final backup).
///
/// ```swift
/// let settings = RedisSettings(port: 14001, directory: "/d/services/redis/rabc", passwordHash: "9f86…", maxMemoryBytes: 25 << 20, maxClients: 20)
/// settings.conf   // "bind 127.0.0.1\nport 14001\n…user default on #9f86… ~* &* +@all -config …"
/// ```
struct RedisSettings: Sendable, Hashable {
    /// The TCP port on 127.0.0.1.
    var port: Int
    /// The server's own directory (`DATA_DIR/services/redis/ID`): its data, log and pid file.
    var directory: String
    /// The SHA-256 (hex) of the password.
    var passwordHash: String
    /// The plan's `maxmemory`.
    var maxMemoryBytes: Int
    /// The plan's `maxclients`.
    var maxClients: Int

    /// The ports a new server picks from: below PostgreSQL's (16000-19999), the dynos'
    /// (`OPENRUKO_DYNO_PORTS`, 20000-29999) and the kernel's ephemeral ports.
    static let ports = 14_000...15_999

    /// Commands a tenant holding the password may not run: they reconfigure the server (its
    /// directory and file names: arbitrary files on the host), load code, replicate from or
    /// to elsewhere, stop it, or write snapshots on demand.
    static let deniedCommands = [
        "config", "debug", "module", "replicaof", "slaveof", "shutdown", "migrate", "acl", "failover", "sync", "psync",
        "monitor", "save", "bgsave", "bgrewriteaof", "cluster", "latency", "swapdb",
    ]

    /// `redis.conf`.
    var conf: String {
        """
        # Written by openruko at every start of the server: edits are lost.
        bind 127.0.0.1
        port \(port)
        protected-mode yes
        daemonize yes
        pidfile \(directory)/redis.pid
        logfile \(directory)/redis.log
        loglevel notice
        dir \(directory)/data
        dbfilename dump.rdb
        save 3600 1 300 100 60 10000
        appendonly yes
        appendfsync everysec
        maxmemory \(maxMemoryBytes)
        maxmemory-policy noeviction
        maxclients \(maxClients)
        enable-protected-configs no
        enable-debug-command no
        enable-module-command no
        user default on #\(passwordHash) ~* &* +@all \(Self.deniedCommands.map { "-" + $0 }.joined(separator: " "))

        """
    }

    /// Whether `text` is a password openruko made (hex only: nothing reaches the file but it).
    static func isValidHash(_ text: String) -> Bool {
        text.count == 64 && text.unicodeScalars.allSatisfy { ("0"..."9").contains($0) || ("a"..."f").contains($0) }
    }
}
