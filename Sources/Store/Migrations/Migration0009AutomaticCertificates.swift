import GRDB

/// Automatic certificates (`certs:auto:enable`, Heroku's ACM): which apps want them, and
/// where each custom domain of those apps stands (pending, issued, failed with the reason,
/// the retry backoff). The certificates themselves are rows of `certificates`. Never edit:
/// add a migration.
enum Migration0009AutomaticCertificates {
    static func migrate(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE acm_apps (
                    app_id TEXT PRIMARY KEY NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
                    enabled_at DATETIME NOT NULL
                );
                CREATE TABLE acm_domains (
                    hostname TEXT PRIMARY KEY NOT NULL,
                    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
                    status TEXT NOT NULL,
                    reason TEXT,
                    certificate_id TEXT,
                    expires_at DATETIME,
                    failures INTEGER NOT NULL,
                    next_attempt_at DATETIME NOT NULL,
                    updated_at DATETIME NOT NULL
                );
                CREATE INDEX acm_domains_app ON acm_domains(app_id);
                """)
    }
}
