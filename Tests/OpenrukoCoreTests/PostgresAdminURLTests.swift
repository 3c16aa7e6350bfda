import Foundation
import OpenrukoCore
import Testing

/// `OPENRUKO_POSTGRES_ADMIN_URL` parsed strictly, and never quoted back.
@Suite(.timeLimit(.minutes(1))) struct PostgresAdminURLTests {
    @Test func parsesTheURLAnAdminGives() throws {
        let url = try PostgresAdminURL(parsing: "postgres://openruko:s%40cret@db.internal:6543/admin?sslmode=verify-full")
        #expect(url.user == "openruko" && url.password == "s@cret" && url.host == "db.internal" && url.port == 6543)
        #expect(url.database == "admin" && url.sslMode == "verify-full" && !url.isLoopback)
        #expect(url.redacted == "postgres://openruko:…@db.internal:6543/admin?sslmode=verify-full")
        let local = try PostgresAdminURL(parsing: "postgresql://admin:pw@127.0.0.1")
        #expect(local.port == 5432 && local.database == "postgres" && local.sslMode == "prefer" && local.isLoopback)
    }

    @Test func refusesWithoutQuotingThePassword() throws {
        for bad in [
            "mysql://u:TOPSECRET@h/db", "postgres://u:TOPSECRET@h:0/db", "postgres://u:TOPSECRET@h:70000/db", "postgres://u@h/db",
            "postgres://:TOPSECRET@h/db", "postgres://u:TOPSECRET@/db", "postgres://u:TOPSECRET@h/db?sslmode=TOPSECRET",
            "postgres://u:TOPSECRET@h/db?host=/tmp", "postgres://u:TOPSECRET@h/d;b", "postgres://u%20x:TOPSECRET@h/db", "TOPSECRET",
        ] {
            do {
                _ = try PostgresAdminURL(parsing: bad)
                Issue.record("accepted \(bad)")
            } catch {
                #expect(error.kind == .invalid)
                #expect(error.message.hasPrefix("OPENRUKO_POSTGRES_ADMIN_URL is not a postgres://"), "\(error.message)")
                #expect(!error.message.contains("TOPSECRET"), "\(error.message)")
            }
        }
        #expect(try PostgresAdminURL(parsing: "postgres://u:TOPSECRET@h/db").scrub("password TOPSECRET failed") == "password … failed")
    }
}
