extension DataLayout {
    /// `DATA_DIR/services/postgresql`, openruko's supervised PostgreSQL server (add-ons).
    package var postgres: String { root + "/services/postgresql" }
    /// `DATA_DIR/backups`, add-on database dumps (`pg_dump -Fc`), private to openruko.
    package var backups: String { root + "/backups" }
}
