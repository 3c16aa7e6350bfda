package import Foundation

/// An immutable release: a slug plus a config snapshot, numbered v1, v2… per app.
package struct Release: Hashable, Sendable, Codable {
    /// Heroku's release states. `expired`: it succeeded, but retention removed its slug, so
    /// it can no longer be rolled back to (`RetentionRule`).
    package enum Status: String, Sendable, Codable {
        case pending, succeeded, failed, expired
    }

    package var id: UUID
    package var appID: UUID
    package var version: Int
    package var slugID: UUID?
    package var config: [String: String]
    package var description: String
    package var userID: UUID?
    package var userEmail: String
    package var status: Status
    /// Whether this is the app's current release (the newest succeeded one).
    package var isCurrent: Bool
    package var createdAt: Date
    package var updatedAt: Date

    package init(
        id: UUID, appID: UUID, version: Int, slugID: UUID?, config: [String: String], description: String,
        userID: UUID?, userEmail: String, status: Status, isCurrent: Bool, createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.appID = appID
        self.version = version
        self.slugID = slugID
        self.config = config
        self.description = description
        self.userID = userID
        self.userEmail = userEmail
        self.status = status
        self.isCurrent = isCurrent
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}
