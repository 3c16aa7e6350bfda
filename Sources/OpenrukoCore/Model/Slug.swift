package import Foundation

/// A built artifact: a gzipped tar of `/app` (or, for container builds, an image), with
/// the process types it declares.
package struct Slug: Hashable, Sendable, Codable {
    package var id: UUID
    package var appID: UUID
    /// `type → command`, Procfile entries merged with buildpack defaults.
    package var processTypes: [String: String]
    /// Compressed size in bytes.
    package var size: Int64
    /// `SHA256:<hex>`.
    package var checksum: String
    package var commit: String?
    package var commitDescription: String?
    package var buildpackDescription: String?
    package var stack: String
    package var createdAt: Date
    /// For a container build, the image each process type runs (`release` included); nil for
    /// a buildpack slug (a tar of `/app`).
    package var images: [String: ContainerImage]?

    package init(
        id: UUID, appID: UUID, processTypes: [String: String], size: Int64, checksum: String, commit: String?,
        commitDescription: String?, buildpackDescription: String?, stack: String, createdAt: Date,
        images: [String: ContainerImage]? = nil
    ) {
        self.images = images
        self.id = id
        self.appID = appID
        self.processTypes = processTypes
        self.size = size
        self.checksum = checksum
        self.commit = commit
        self.commitDescription = commitDescription
        self.buildpackDescription = buildpackDescription
        self.stack = stack
        self.createdAt = createdAt
    }
}

/// One build of an app: a push (or an API source build), its output and its outcome.
package struct Build: Hashable, Sendable, Codable {
    /// Heroku's build states.
    package enum Status: String, Sendable, Codable {
        case pending, succeeded, failed
    }

    package var id: UUID
    package var appID: UUID
    package var status: Status
    package var commit: String?
    package var userID: UUID?
    package var userEmail: String
    package var buildpacks: [String]
    package var slugID: UUID?
    package var releaseID: UUID?
    package var createdAt: Date
    package var updatedAt: Date

    package init(
        id: UUID, appID: UUID, status: Status, commit: String?, userID: UUID?, userEmail: String,
        buildpacks: [String], slugID: UUID?, releaseID: UUID?, createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.appID = appID
        self.status = status
        self.commit = commit
        self.userID = userID
        self.userEmail = userEmail
        self.buildpacks = buildpacks
        self.slugID = slugID
        self.releaseID = releaseID
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// How many dynos of one process type an app runs, and with which command.
package struct FormationEntry: Hashable, Sendable, Codable {
    package var id: UUID
    package var appID: UUID
    package var type: String
    package var quantity: Int
    package var size: String
    package var command: String
    package var createdAt: Date
    package var updatedAt: Date

    package init(
        id: UUID, appID: UUID, type: String, quantity: Int, size: String, command: String, createdAt: Date,
        updatedAt: Date
    ) {
        self.id = id
        self.appID = appID
        self.type = type
        self.quantity = quantity
        self.size = size
        self.command = command
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// Heroku's default dyno size name.
    package static let defaultSize = "standard-1X"
}
