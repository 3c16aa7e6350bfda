import GRDB

/// The schema of the whole product as first shipped. Never edit: add a migration.
enum Migration0001Initial {
    static func migrate(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE users (
                    id TEXT PRIMARY KEY NOT NULL,
                    email TEXT NOT NULL UNIQUE,
                    is_admin INTEGER NOT NULL DEFAULT 0,
                    password_hash TEXT,
                    created_at DATETIME NOT NULL,
                    updated_at DATETIME NOT NULL
                );

                CREATE TABLE ssh_keys (
                    id TEXT PRIMARY KEY NOT NULL,
                    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    name TEXT NOT NULL,
                    type TEXT NOT NULL,
                    fingerprint TEXT NOT NULL UNIQUE,
                    public_key TEXT NOT NULL,
                    created_at DATETIME NOT NULL,
                    updated_at DATETIME NOT NULL,
                    UNIQUE (user_id, name)
                );

                CREATE TABLE api_tokens (
                    id TEXT PRIMARY KEY NOT NULL,
                    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    token_hash TEXT NOT NULL UNIQUE,
                    description TEXT NOT NULL DEFAULT '',
                    created_at DATETIME NOT NULL,
                    expires_at DATETIME
                );
                CREATE INDEX api_tokens_user ON api_tokens(user_id);

                CREATE TABLE apps (
                    id TEXT PRIMARY KEY NOT NULL,
                    name TEXT NOT NULL UNIQUE,
                    owner_id TEXT NOT NULL REFERENCES users(id) ON DELETE RESTRICT,
                    stack TEXT NOT NULL,
                    buildpacks TEXT NOT NULL DEFAULT '[]',
                    created_at DATETIME NOT NULL,
                    updated_at DATETIME NOT NULL
                );
                CREATE INDEX apps_owner ON apps(owner_id);

                CREATE TABLE collaborators (
                    id TEXT PRIMARY KEY NOT NULL,
                    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
                    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    created_at DATETIME NOT NULL,
                    updated_at DATETIME NOT NULL,
                    UNIQUE (app_id, user_id)
                );
                CREATE INDEX collaborators_user ON collaborators(user_id);

                CREATE TABLE config_vars (
                    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
                    key TEXT NOT NULL,
                    value TEXT NOT NULL,
                    PRIMARY KEY (app_id, key)
                );

                CREATE TABLE slugs (
                    id TEXT PRIMARY KEY NOT NULL,
                    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
                    process_types TEXT NOT NULL DEFAULT '{}',
                    size INTEGER NOT NULL,
                    checksum TEXT NOT NULL,
                    "commit" TEXT,
                    commit_description TEXT,
                    buildpack_description TEXT,
                    stack TEXT NOT NULL,
                    created_at DATETIME NOT NULL
                );
                CREATE INDEX slugs_app ON slugs(app_id);

                CREATE TABLE releases (
                    id TEXT PRIMARY KEY NOT NULL,
                    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
                    version INTEGER NOT NULL CHECK (version >= 1),
                    slug_id TEXT REFERENCES slugs(id) ON DELETE RESTRICT,
                    config TEXT NOT NULL DEFAULT '{}',
                    description TEXT NOT NULL,
                    user_id TEXT REFERENCES users(id) ON DELETE SET NULL,
                    user_email TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
                    created_at DATETIME NOT NULL,
                    updated_at DATETIME NOT NULL,
                    UNIQUE (app_id, version)
                );

                -- A succeeded release is immutable; a pending one may only become succeeded or failed.
                CREATE TRIGGER releases_immutable BEFORE UPDATE ON releases
                WHEN OLD.status <> 'pending'
                    OR NEW.version <> OLD.version OR NEW.app_id <> OLD.app_id
                    OR NEW.slug_id IS NOT OLD.slug_id OR NEW.config <> OLD.config
                BEGIN
                    SELECT RAISE(ABORT, 'releases are immutable once decided');
                END;

                CREATE TABLE builds (
                    id TEXT PRIMARY KEY NOT NULL,
                    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
                    status TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
                    "commit" TEXT,
                    user_id TEXT REFERENCES users(id) ON DELETE SET NULL,
                    user_email TEXT NOT NULL,
                    buildpacks TEXT NOT NULL DEFAULT '[]',
                    output TEXT NOT NULL DEFAULT '',
                    slug_id TEXT REFERENCES slugs(id) ON DELETE SET NULL,
                    release_id TEXT REFERENCES releases(id) ON DELETE SET NULL,
                    created_at DATETIME NOT NULL,
                    updated_at DATETIME NOT NULL
                );
                CREATE INDEX builds_app ON builds(app_id, created_at);

                CREATE TABLE formation (
                    id TEXT PRIMARY KEY NOT NULL,
                    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
                    type TEXT NOT NULL,
                    quantity INTEGER NOT NULL CHECK (quantity >= 0),
                    size TEXT NOT NULL,
                    command TEXT NOT NULL,
                    created_at DATETIME NOT NULL,
                    updated_at DATETIME NOT NULL,
                    UNIQUE (app_id, type)
                );

                CREATE TABLE domains (
                    id TEXT PRIMARY KEY NOT NULL,
                    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
                    hostname TEXT NOT NULL UNIQUE,
                    created_at DATETIME NOT NULL,
                    updated_at DATETIME NOT NULL
                );
                CREATE INDEX domains_app ON domains(app_id);

                CREATE TABLE log_drains (
                    id TEXT PRIMARY KEY NOT NULL,
                    app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
                    url TEXT NOT NULL,
                    token TEXT NOT NULL UNIQUE,
                    created_at DATETIME NOT NULL,
                    updated_at DATETIME NOT NULL,
                    UNIQUE (app_id, url)
                );
                """)
    }
}
