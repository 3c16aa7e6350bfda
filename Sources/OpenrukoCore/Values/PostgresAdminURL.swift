import Foundation

/// `OPENRUKO_POSTGRES_ADMIN_URL`: a PostgreSQL server an admin runs, and a role on it that
/// may `CREATE DATABASE` and `CREATE ROLE`, where add-on databases are made instead of on
/// openruko's own server. Its password goes to programs in their environment only
/// (`PGPASSWORD`), never into an argv, a log line or an error message (`redacted`).
///
/// ```swift
/// let admin = try PostgresAdminURL(parsing: "postgres://openruko:s3cret@db.internal:5432/postgres?sslmode=require")
/// admin.host       // "db.internal"
/// admin.redacted   // "postgres://openruko:…@db.internal:5432/postgres?sslmode=require"
/// ```
package struct PostgresAdminURL: Hashable, Sendable {
    package var user: String
    package var password: String
    package var host: String
    package var port: Int
    /// The database the admin connects to (`postgres` by default).
    package var database: String
    /// libpq's `sslmode` (`prefer` by default).
    package var sslMode: String

    /// The environment variable.
    package static let variable = "OPENRUKO_POSTGRES_ADMIN_URL"
    static let sslModes: Set = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]

    /// The URL without its password, for messages.
    package var redacted: String { "postgres://\(user):…@\(host.contains(":") ? "[\(host)]" : host):\(port)/\(database)?sslmode=\(sslMode)" }

    /// Whether the server is on the host's loopback (dynos then reach it at their gateway).
    package var isLoopback: Bool { host == "localhost" || host == "::1" || host.hasPrefix("127.") }

    /// Parses `postgres://USER:PASSWORD@HOST[:PORT][/DATABASE][?sslmode=MODE]` (`postgresql://` too).
    /// - Throws: `OpenrukoError.invalid` naming the part that is wrong, never quoting the URL
    ///   (it holds a password).
    package init(parsing text: String) throws(OpenrukoError) {
        func refuse(_ what: String) -> OpenrukoError {
            OpenrukoError(
                .invalid, "\(Self.variable) is not a postgres://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=MODE URL: \(what).")
        }
        guard let components = URLComponents(string: text.trimmingCharacters(in: .whitespacesAndNewlines)) else { throw refuse("it does not parse") }
        guard components.scheme == "postgres" || components.scheme == "postgresql" else { throw refuse("the scheme must be postgres://") }
        guard let user = components.user, !user.isEmpty, Self.isPlain(user) else { throw refuse("it needs a user (letters, digits, _ . -)") }
        guard let password = components.password, !password.isEmpty, !password.contains("\0"), !password.contains("\n") else {
            throw refuse("it needs a password")
        }
        guard let host = components.host, !host.isEmpty, host.unicodeScalars.allSatisfy({ Self.isPlain($0) || $0 == ":" }) else {
            throw refuse("it needs a host name or address")
        }
        let port = components.port ?? 5432
        guard (1...65535).contains(port) else { throw refuse("the port must be 1-65535") }
        let path = String(components.path.drop { $0 == "/" })
        let database = path.isEmpty ? "postgres" : path
        guard Self.isPlain(database) else { throw refuse("the database name must be letters, digits, _ . -") }
        var sslMode = "prefer"
        for item in components.queryItems ?? [] {
            guard item.name == "sslmode", let value = item.value, Self.sslModes.contains(value) else {
                throw refuse("the only parameter is sslmode=disable|allow|prefer|require|verify-ca|verify-full")
            }
            sslMode = value
        }
        self.user = user
        self.password = password
        self.host = host
        self.port = port
        self.database = database
        self.sslMode = sslMode
    }

    /// Letters, digits, `_`, `.`, `-` (1-63 of them).
    static func isPlain(_ text: String) -> Bool {
        (1...63).contains(text.count) && text.unicodeScalars.allSatisfy { isPlain($0) }
    }

    static func isPlain(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar) || "_.-".unicodeScalars.contains(scalar)
    }

    /// Removes the password from text a program printed (a libpq error may quote a connection string).
    package func scrub(_ text: String) -> String {
        text.replacingOccurrences(of: password, with: "…")
    }
}
