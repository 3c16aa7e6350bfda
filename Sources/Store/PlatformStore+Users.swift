package import Foundation
import GRDB
package import OpenrukoCore

// MARK: - Users, keys and API tokens

extension PlatformStore {
    /// Creates a user.
    /// - Throws: `conflict` when the e-mail is taken.
    package func createUser(email: String, isAdmin: Bool) throws(OpenrukoError) -> User {
        let now = Date()
        let row = UserRow(id: UUID(), email: email, isAdmin: isAdmin, passwordHash: nil, createdAt: now, updatedAt: now)
        try write { db in
            try insert(row, db, conflict: OpenrukoError(.conflict, "A user with the e-mail \(email) already exists.", resource: "user"))
        }
        return row.user
    }

    /// The user with that e-mail, if any.
    package func user(email: String) throws(OpenrukoError) -> User? {
        try read { db in try UserRow.filter(Column("email") == email).fetchOne(db)?.user }
    }

    /// The user with that id, if any.
    package func user(id: UUID) throws(OpenrukoError) -> User? {
        try read { db in try UserRow.fetchOne(db, key: id.dbKey)?.user }
    }

    /// All users, admins first, then by e-mail.
    package func users() throws(OpenrukoError) -> [User] {
        try read { db in
            try UserRow.order(Column("is_admin").desc, Column("email")).fetchAll(db).map(\.user)
        }
    }

    /// The earliest admin: the owner of things the local superuser creates by default.
    package func firstAdmin() throws(OpenrukoError) -> User? {
        try read { db in
            try UserRow.filter(Column("is_admin") == true).order(Column("created_at"), Column("email")).fetchOne(db)?.user
        }
    }

    /// Deletes a user with their keys, tokens and collaborations.
    /// - Throws: `conflict` while the user still owns apps.
    package func deleteUser(id: UUID) throws(OpenrukoError) {
        try write { db in
            let owned = try String.fetchAll(db, sql: "SELECT name FROM apps WHERE owner_id = ? ORDER BY name", arguments: [id.dbKey])
            if !owned.isEmpty {
                throw OpenrukoError(
                    .conflict, "This user still owns \(owned.joined(separator: ", ")). Destroy those apps first.", resource: "user")
            }
            // Their releases and builds lose the user id: mark those apps changed (caches key on it).
            try db.execute(
                sql: "UPDATE apps SET updated_at = ? WHERE id IN (SELECT app_id FROM releases WHERE user_id = ?)",
                arguments: [Date(), id.dbKey])
            _ = try UserRow.deleteOne(db, key: id.dbKey)
        }
    }

    /// Stores a password hash for the user.
    package func setPasswordHash(userID: UUID, hash: String) throws(OpenrukoError) {
        try write { db in
            try db.execute(
                sql: "UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?",
                arguments: [hash, Date(), userID.dbKey])
        }
    }

    /// The user and their password hash (nil when none is set).
    package func passwordHash(email: String) throws(OpenrukoError) -> (User, String?)? {
        try read { db in
            guard let row = try UserRow.filter(Column("email") == email).fetchOne(db) else { return nil }
            return (row.user, row.passwordHash)
        }
    }

    // MARK: Keys

    /// Registers a key for a user.
    /// - Throws: `conflict` if the fingerprint is registered (to anyone) or the name is taken.
    package func addKey(userID: UUID, name: String, key: PublicKey) throws(OpenrukoError) -> SSHKey {
        let now = Date()
        let row = SSHKeyRow(
            id: UUID(), userId: userID, name: name, type: key.type, fingerprint: key.fingerprint, publicKey: key.line,
            createdAt: now, updatedAt: now)
        return try write { db in
            guard let owner = try UserRow.fetchOne(db, key: userID.dbKey) else {
                throw OpenrukoError(.notFound, "Couldn't find that user.", resource: "user")
            }
            if try SSHKeyRow.filter(Column("fingerprint") == key.fingerprint).fetchCount(db) > 0 {
                throw OpenrukoError(.conflict, "This key (\(key.fingerprint)) is already registered.", resource: "key")
            }
            try insert(row, db, conflict: OpenrukoError(
                .conflict, "\(owner.email) already has a key named \(name.debugDescription). Use --name to pick another.",
                resource: "key"))
            return row.key(email: owner.email)
        }
    }

    /// The user's keys, oldest first.
    package func keys(userID: UUID) throws(OpenrukoError) -> [SSHKey] {
        try read { db in
            guard let owner = try UserRow.fetchOne(db, key: userID.dbKey) else { return [] }
            return try SSHKeyRow.filter(Column("user_id") == userID.dbKey)
                .order(Column("created_at"), Column("name")).fetchAll(db).map { $0.key(email: owner.email) }
        }
    }

    /// The key with that SHA256 fingerprint and its owner: one indexed lookup.
    package func key(fingerprint: String) throws(OpenrukoError) -> (SSHKey, User)? {
        try read { db in
            guard let row = try SSHKeyRow.filter(Column("fingerprint") == fingerprint).fetchOne(db),
                let owner = try UserRow.fetchOne(db, key: row.userId.dbKey)
            else { return nil }
            return (row.key(email: owner.email), owner.user)
        }
    }

    /// The key with that id and its owner.
    package func key(id: UUID) throws(OpenrukoError) -> (SSHKey, User)? {
        try read { db in
            guard let row = try SSHKeyRow.fetchOne(db, key: id.dbKey),
                let owner = try UserRow.fetchOne(db, key: row.userId.dbKey)
            else { return nil }
            return (row.key(email: owner.email), owner.user)
        }
    }

    /// Removes a key.
    package func removeKey(id: UUID) throws(OpenrukoError) {
        _ = try write { db in try SSHKeyRow.deleteOne(db, key: id.dbKey) }
    }

    // MARK: Tokens

    /// Stores a new token by its hash.
    package func createToken(userID: UUID, tokenHash: String, description: String, expiresAt: Date?) throws(OpenrukoError)
        -> APIToken
    {
        let row = APITokenRow(
            id: UUID(), userId: userID, tokenHash: tokenHash, description: description, createdAt: Date(), expiresAt: expiresAt)
        try write { db in try insert(row, db, conflict: OpenrukoError(.conflict, "Token collision; try again.")) }
        return row.token
    }

    /// The unexpired token with that hash and its user.
    package func token(hash: String, now: Date = Date()) throws(OpenrukoError) -> (APIToken, User)? {
        try read { db in
            // Every API request comes here: cached statements skip query building and parsing.
            let tokenQuery = try db.cachedStatement(sql: "SELECT * FROM api_tokens WHERE token_hash = ?")
            let userQuery = try db.cachedStatement(sql: "SELECT * FROM users WHERE id = ?")
            guard let row = try APITokenRow.fetchOne(tokenQuery, arguments: [hash]),
                row.expiresAt.map({ $0 > now }) ?? true,
                let user = try UserRow.fetchOne(userQuery, arguments: [row.userId.dbKey])
            else { return nil }
            return (row.token, user.user)
        }
    }

    /// The user's tokens.
    package func tokens(userID: UUID) throws(OpenrukoError) -> [APIToken] {
        try read { db in
            try APITokenRow.filter(Column("user_id") == userID.dbKey).order(Column("created_at"))
                .fetchAll(db).map(\.token)
        }
    }

    /// Revokes a token.
    package func deleteToken(id: UUID) throws(OpenrukoError) {
        _ = try write { db in try APITokenRow.deleteOne(db, key: id.dbKey) }
    }
}
