package import Foundation

/// A registered SSH public key, owned by one user and found by its SHA256 fingerprint.
package struct SSHKey: Hashable, Sendable, Codable {
    package var id: UUID
    package var userID: UUID
    package var userEmail: String
    /// A label unique per user (the key's comment by default).
    package var name: String
    package var type: String
    /// `SHA256:…`, unique across all users.
    package var fingerprint: String
    /// The `TYPE BASE64 COMMENT` line.
    package var publicKey: String
    package var createdAt: Date
    package var updatedAt: Date

    package init(
        id: UUID, userID: UUID, userEmail: String, name: String, type: String, fingerprint: String,
        publicKey: String, createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.userID = userID
        self.userEmail = userEmail
        self.name = name
        self.type = type
        self.fingerprint = fingerprint
        self.publicKey = publicKey
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// An API token (an OAuth authorization in Heroku's terms). Only its hash is stored.
package struct APIToken: Hashable, Sendable, Codable {
    package var id: UUID
    package var userID: UUID
    package var description: String
    package var createdAt: Date
    package var expiresAt: Date?

    package init(id: UUID, userID: UUID, description: String, createdAt: Date, expiresAt: Date?) {
        self.id = id
        self.userID = userID
        self.description = description
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}
