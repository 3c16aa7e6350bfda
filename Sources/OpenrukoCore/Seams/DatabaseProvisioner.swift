/// Creates and drops add-on databases on a PostgreSQL server (the daemon's supervised one,
/// or the one `OPENRUKO_POSTGRES_ADMIN_URL` names). Wired in `Installation`; `Platform`
/// decides when, this only does.
package protocol DatabaseProvisioner: Sendable {
    /// Creates a database and a role owning it with a random password, allowed `plan`'s
    /// connections, reachable from dynos only with its own credentials.
    /// - Throws: `OpenrukoError.unavailable` when the server cannot be started or reached.
    func provision(plan: AddonPlan) async throws(OpenrukoError) -> DatabaseCredentials

    /// Writes a final `pg_dump -Fc` of the database to `backup` (when given), then drops the
    /// database and its role. Dropping what no longer exists succeeds.
    /// - Throws: `OpenrukoError.unavailable` when the backup or the drop failed (nothing is
    ///   dropped when the backup failed).
    func deprovision(_ credentials: DatabaseCredentials, backup: String?) async throws(OpenrukoError)

    /// Writes a `pg_dump -Fc` of the database to `path` (0600).
    func backup(_ credentials: DatabaseCredentials, to path: String) async throws(OpenrukoError)

    /// Replaces the database's contents with the dump at `path`, restored as the database's
    /// own role (a dump never gains a privilege the role does not have).
    func restore(_ credentials: DatabaseCredentials, from path: String) async throws(OpenrukoError)

    /// Gives the role a new random password and ends its open connections.
    /// - Returns: the new credentials.
    func rotate(_ credentials: DatabaseCredentials) async throws(OpenrukoError) -> DatabaseCredentials

    /// The server's version, the database's size and its open connections.
    func info(_ credentials: DatabaseCredentials) async throws(OpenrukoError) -> DatabaseInfo
}

/// What `pg:info` shows of one database.
package struct DatabaseInfo: Hashable, Sendable {
    /// `15.18`.
    package var version: String
    package var sizeBytes: Int64
    package var connections: Int
    package var tables: Int

    package init(version: String, sizeBytes: Int64, connections: Int, tables: Int) {
        self.version = version
        self.sizeBytes = sizeBytes
        self.connections = connections
        self.tables = tables
    }
}

/// The provisioner of a process that cannot reach a database server.
package struct UnavailableDatabaseProvisioner: DatabaseProvisioner {
    package init() {}

    package func provision(plan: AddonPlan) async throws(OpenrukoError) -> DatabaseCredentials { throw Self.refusal }

    package func deprovision(_ credentials: DatabaseCredentials, backup: String?) async throws(OpenrukoError) {
        throw Self.refusal
    }

    package func backup(_ credentials: DatabaseCredentials, to path: String) async throws(OpenrukoError) { throw Self.refusal }

    package func restore(_ credentials: DatabaseCredentials, from path: String) async throws(OpenrukoError) { throw Self.refusal }

    package func rotate(_ credentials: DatabaseCredentials) async throws(OpenrukoError) -> DatabaseCredentials { throw Self.refusal }

    package func info(_ credentials: DatabaseCredentials) async throws(OpenrukoError) -> DatabaseInfo { throw Self.refusal }

    static let refusal = OpenrukoError(.unavailable, "PostgreSQL add-ons are not available here.", resource: "addon")
}
