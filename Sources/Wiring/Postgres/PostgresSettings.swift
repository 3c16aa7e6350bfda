import OpenrukoCore

/// The configuration openruko gives its PostgreSQL server, as data (written at every start):
/// TCP on the host's loopback only (dynos reach it through their gateway, by a DNAT rule
/// like `OPENRUKO_DYNO_ALLOW`'s), TLS on, the admin over a private Unix socket by peer
/// authentication, and every other role only into the database of its own name, with
/// scram-sha-256, over TLS (`hostssl sameuser`).
///
/// ```swift
/// let settings = PostgresSettings(port: 16432, socketDirectory: "/d/run", dynoSubnet: "10.212.0.0/16", osUsers: ["root", "postgres"])
/// settings.hba   // "local all postgres peer map=openruko\nhostssl sameuser all 127.0.0.1/32 scram-sha-256\n…"
/// ```
struct PostgresSettings: Sendable, Hashable {
    /// The TCP port on 127.0.0.1.
    var port: Int
    /// Where the admin's Unix socket lives (private to the server's user and root).
    var socketDirectory: String
    /// The dynos' subnet (their connections arrive from it), nil when dynos share the host's network.
    var dynoSubnet: String?
    /// The operating-system users that may act as the `postgres` superuser over the socket.
    var osUsers: [String]

    /// The ports a new server picks from: below the dynos' (`OPENRUKO_DYNO_PORTS`, 20000-29999)
    /// and the kernel's ephemeral ports.
    static let ports = 16_000...19_999

    /// The server's connections in all (`max_connections`).
    static let maxConnections = 600
    /// What the add-on databases' roles may hold together (their `CONNECTION LIMIT`s, their
    /// plans' limits): the rest is for the admin's and openruko's own sessions. A database
    /// whose plan does not fit is refused, so no tenant can take connections another's plan
    /// promises.
    static let tenantConnections = maxConnections - 10

    /// `postgresql.conf`.
    var conf: String {
        """
        # Written by openruko at every start of the server: edits are lost.
        listen_addresses = '127.0.0.1'
        port = \(port)
        unix_socket_directories = '\(socketDirectory)'
        unix_socket_permissions = 0700
        max_connections = \(Self.maxConnections)
        shared_buffers = 128MB
        # System V segments: /dev/shm may not be writable by the server's user.
        dynamic_shared_memory_type = sysv
        ssl = on
        ssl_cert_file = 'server.crt'
        ssl_key_file = 'server.key'
        ssl_min_protocol_version = 'TLSv1.2'
        password_encryption = scram-sha-256
        # No statement text in the server's log: a failed ALTER ROLE … PASSWORD would show it.
        log_min_error_statement = panic
        log_timezone = 'UTC'
        timezone = 'UTC'
        datestyle = 'iso, mdy'
        lc_messages = 'C.UTF-8'
        lc_monetary = 'C.UTF-8'
        lc_numeric = 'C.UTF-8'
        lc_time = 'C.UTF-8'
        default_text_search_config = 'pg_catalog.english'

        """
    }

    /// `pg_hba.conf`: no `trust`, nothing without TLS over TCP, each role into its own database only.
    var hba: String {
        var lines = [
            "# Written by openruko at every start of the server: edits are lost.",
            "local all postgres peer map=openruko",
            "hostssl sameuser all 127.0.0.1/32 scram-sha-256",
        ]
        if let dynoSubnet { lines.append("hostssl sameuser all \(dynoSubnet) scram-sha-256") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `pg_ident.conf`: who may be `postgres` over the socket.
    var ident: String {
        (["# Written by openruko at every start of the server: edits are lost."] + osUsers.map { "openruko \($0) postgres" })
            .joined(separator: "\n") + "\n"
    }

    /// Whether `name` is safe to put between double quotes in SQL and to use as a database
    /// and role name (openruko makes them: a letter, then lowercase letters and digits).
    static func isSafeName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, ("a"..."z").contains(first), (2...63).contains(name.count) else { return false }
        return name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) }
    }

    /// Whether `password` is safe between single quotes in SQL (openruko's are hex).
    static func isSafePassword(_ password: String) -> Bool {
        password.count >= 16 && password.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) }
    }
}
