import Crypto
package import Foundation
import HummingbirdBcrypt
package import OpenrukoCore
import Store

// MARK: - Users, keys, tokens, passwords

extension Platform {
    /// Every user (admins only).
    package func users(as principal: Principal) throws(OpenrukoError) -> [User] {
        try requireAdmin(principal, to: "list users")
        return try store.users()
    }

    /// The user behind the principal (`whoami`).
    package func whoami(_ principal: Principal) -> String {
        principal.user?.email ?? "superuser (local admin)"
    }

    /// Creates a user (admins only).
    package func createUser(email: String, admin: Bool, as principal: Principal) throws(OpenrukoError) -> User {
        try requireAdmin(principal, to: "create users")
        let address = try EmailAddress(email)
        return try store.createUser(email: address.rawValue, isAdmin: admin)
    }

    /// Deletes a user (admins only); refuses the last admin and users who own apps.
    package func destroyUser(email: String, as principal: Principal) throws(OpenrukoError) -> User {
        try requireAdmin(principal, to: "destroy users")
        let address = try EmailAddress(email)
        guard let user = try store.user(email: address.rawValue) else { throw OpenrukoError.userNotFound(address.rawValue) }
        if user.isAdmin, try store.users().filter(\.isAdmin).count == 1 {
            throw OpenrukoError(.conflict, "\(user.email) is the last admin; create another admin first.", resource: "user")
        }
        try store.deleteUser(id: user.id)
        try credentialsChanged()
        return user
    }

    /// Sets a user's password (for `heroku login -i`): admins for anyone, users for themselves.
    /// Stored as a bcrypt hash.
    package func setPassword(email: String, password: String, as principal: Principal) throws(OpenrukoError) {
        let user = try subject(email, as: principal, action: "set other users' passwords")
        guard password.count >= 8 else {
            throw OpenrukoError(.invalid, "Passwords must have at least 8 characters.", resource: "user")
        }
        try store.setPasswordHash(userID: user.id, hash: Bcrypt.hash(password, cost: 12))
    }

    /// Checks an e-mail and password (`POST /oauth/authorizations` with Basic auth).
    /// - Returns: the user, or nil when either is wrong.
    package func checkPassword(email: String, password: String) throws(OpenrukoError) -> User? {
        guard let address = try? EmailAddress(email), let (user, hash) = try store.passwordHash(email: address.rawValue),
            let hash, Bcrypt.verify(password, hash: hash)
        else { return nil }
        return user
    }

    // MARK: Keys

    /// A user's keys (`--user` for admins).
    package func keys(user email: String?, as principal: Principal) throws(OpenrukoError) -> [SSHKey] {
        let user = try subject(email, as: principal, action: "see other users' keys")
        return try store.keys(userID: user.id)
    }

    /// Registers a public key for a user (`--user` for admins). The name defaults to the key's
    /// comment, else `key-N`.
    package func addKey(_ line: String, name: String?, user email: String?, as principal: Principal) throws(OpenrukoError)
        -> SSHKey
    {
        let user = try subject(email, as: principal, action: "add keys for other users")
        let lines = line.split(whereSeparator: \.isNewline).map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }
        guard lines.count <= 1 else {
            throw OpenrukoError(.invalid, "Send one public key at a time (got \(lines.count) lines).", resource: "key")
        }
        guard let keyLine = lines.first else {
            throw OpenrukoError(.invalid, "No public key given. Send it on stdin, e.g. keys:add < ~/.ssh/id_ed25519.pub", resource: "key")
        }
        let key = try PublicKey(parsing: keyLine)
        let existing = try store.keys(userID: user.id)
        let chosen = name?.trimmingWhitespace() ?? (key.comment.isEmpty ? "key-\(existing.count + 1)" : key.comment)
        guard !chosen.isEmpty, chosen.count <= 100, !chosen.contains(where: { $0.isNewline }) else {
            throw OpenrukoError(.invalid, "Key names must be 1 to 100 characters on one line.", resource: "key")
        }
        return try store.addKey(userID: user.id, name: chosen, key: key)
    }

    /// Removes one of a user's keys, named by fingerprint, name or id.
    package func removeKey(_ nameOrFingerprint: String, user email: String?, as principal: Principal) throws(OpenrukoError)
        -> SSHKey
    {
        let user = try subject(email, as: principal, action: "remove other users' keys")
        let keys = try store.keys(userID: user.id)
        let wanted = nameOrFingerprint.trimmingWhitespace()
        guard
            let key = keys.first(where: {
                $0.fingerprint == wanted || $0.name == wanted || $0.id.uuidString.lowercased() == wanted.lowercased()
            })
        else {
            throw OpenrukoError(.notFound, "Couldn't find a key \(wanted.debugDescription) for \(user.email). See 'keys'.", resource: "key")
        }
        try store.removeKey(id: key.id)
        return key
    }

    /// The key with that id and its owner (OpenSSH mode).
    package func key(id: UUID) throws(OpenrukoError) -> (SSHKey, User)? {
        try store.key(id: id)
    }

    /// The key with that fingerprint and its owner (embedded SSH authentication).
    package func key(fingerprint: String) throws(OpenrukoError) -> (SSHKey, User)? {
        try store.key(fingerprint: fingerprint)
    }

    // MARK: Tokens

    /// Creates an API token for a user (`--user` for admins).
    /// - Returns: the record and the token itself, which is shown once and stored hashed.
    package func createToken(
        user email: String?, description: String = "", expiresIn: TimeInterval? = nil, as principal: Principal
    ) throws(OpenrukoError) -> (APIToken, String) {
        let user = try subject(email, as: principal, action: "create tokens for other users")
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let secret = "ork_" + bytes.map { String(format: "%02x", $0) }.joined()
        let record = try store.createToken(
            userID: user.id, tokenHash: Self.tokenHash(secret), description: description,
            expiresAt: expiresIn.map { Date().addingTimeInterval($0) })
        return (record, secret)
    }

    /// The user a token belongs to, if it is valid.
    /// Recently verified tokens come from `tokenCache` (a revocation anywhere empties it).
    package func authenticate(token: String) throws(OpenrukoError) -> (APIToken, User)? {
        let hash = Self.tokenHash(token)
        return try tokenCache.lookup(hash) { () throws(OpenrukoError) -> (APIToken, User)? in try store.token(hash: hash) }
    }

    /// The principal's tokens.
    package func tokens(as principal: Principal) throws(OpenrukoError) -> [APIToken] {
        let user = try subject(nil, as: principal, action: "list tokens")
        return try store.tokens(userID: user.id)
    }

    /// Revokes one of the principal's tokens.
    package func revokeToken(id: UUID, as principal: Principal) throws(OpenrukoError) -> APIToken {
        let user = try subject(nil, as: principal, action: "revoke tokens")
        guard let token = try store.tokens(userID: user.id).first(where: { $0.id == id }) else {
            throw OpenrukoError(.notFound, "Couldn't find that authorization.", resource: "authorization")
        }
        try store.deleteToken(id: id)
        try credentialsChanged()
        return token
    }

    /// Tells every process's token cache that a token or user is gone (after the store
    /// changed): their next lookup asks the store.
    func credentialsChanged() throws(OpenrukoError) {
        try TokenCache.invalidate(stampPath: tokenCache.stampPath)
    }

    /// The hex SHA-256 of a token's text: what the store keeps instead of the secret.
    static func tokenHash(_ token: String) -> String {
        var hasher = SHA256()
        var text = token
        text.withUTF8 { hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }
        return hasher.finalize().withUnsafeBytes { Hex.encode($0) }
    }
}
