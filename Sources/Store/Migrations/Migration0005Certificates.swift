import GRDB

/// Uploaded TLS certificates (Heroku's SNI endpoints, `certs:add`): the PEM chain, what it
/// says (names, subject, issuer, validity) and the private key sealed with
/// `DATA_DIR/tls/store.key`. Never edit: add a migration.
enum Migration0005Certificates {
    static func migrate(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE certificates (
                    id TEXT PRIMARY KEY NOT NULL,
                    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
                    name TEXT NOT NULL UNIQUE,
                    certificate_chain TEXT NOT NULL,
                    sealed_key BLOB NOT NULL,
                    names TEXT NOT NULL,
                    subject TEXT NOT NULL,
                    issuer TEXT NOT NULL,
                    starts_at DATETIME NOT NULL,
                    expires_at DATETIME NOT NULL,
                    self_signed INTEGER NOT NULL,
                    created_at DATETIME NOT NULL,
                    updated_at DATETIME NOT NULL
                );
                CREATE INDEX certificates_app ON certificates(app_id);
                """)
    }
}
