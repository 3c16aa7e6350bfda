package import Foundation

/// An application: a git repo, its releases, its config and its formation.
package struct App: Hashable, Sendable, Codable {
    package var id: UUID
    package var name: String
    package var ownerID: UUID
    package var ownerEmail: String
    package var stack: String
    /// Buildpack URLs set with `buildpacks:set`, in order; empty means detect.
    package var buildpacks: [String]
    /// Heroku's maintenance mode: the router answers with a maintenance page instead of the app.
    package var maintenance: Bool
    package var createdAt: Date
    package var updatedAt: Date
    /// The app's own host uid and gid (`SandboxUIDRange`): its builds, dynos and files run
    /// and belong to it alone. Nil only for apps made outside the store (tests).
    package var sandboxUID: UInt32?
    /// Whether an admin allowed this app's container (Dockerfile, heroku.yml) builds: their
    /// `RUN` steps run as root on the host (README, "Security model").
    package var containerBuilds: Bool

    package init(
        id: UUID, name: String, ownerID: UUID, ownerEmail: String, stack: String, buildpacks: [String],
        maintenance: Bool = false, createdAt: Date, updatedAt: Date, sandboxUID: UInt32? = nil,
        containerBuilds: Bool = false
    ) {
        self.containerBuilds = containerBuilds
        self.sandboxUID = sandboxUID
        self.id = id
        self.name = name
        self.ownerID = ownerID
        self.ownerEmail = ownerEmail
        self.stack = stack
        self.buildpacks = buildpacks
        self.maintenance = maintenance
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// The legacy stack (the host's `/usr`), where apps build when no other is configured.
    package static let defaultStack = StackCatalog.legacy
}

/// A user with access to an app that they do not own.
package struct Collaborator: Hashable, Sendable, Codable {
    package var id: UUID
    package var appID: UUID
    package var userID: UUID
    package var email: String
    package var createdAt: Date
    package var updatedAt: Date

    package init(id: UUID, appID: UUID, userID: UUID, email: String, createdAt: Date, updatedAt: Date) {
        self.id = id
        self.appID = appID
        self.userID = userID
        self.email = email
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// A custom hostname routed to an app.
package struct Domain: Hashable, Sendable, Codable {
    package var id: UUID
    package var appID: UUID
    package var hostname: String
    package var createdAt: Date
    package var updatedAt: Date

    package init(id: UUID, appID: UUID, hostname: String, createdAt: Date, updatedAt: Date) {
        self.id = id
        self.appID = appID
        self.hostname = hostname
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// Where an app's log lines are also delivered (`syslog://`, `syslog+tls://`, `https://`).
package struct LogDrain: Hashable, Sendable, Codable {
    package var id: UUID
    package var appID: UUID
    package var url: String
    /// Heroku's drain token (`d.<uuid>`), sent as the syslog host name.
    package var token: String
    package var createdAt: Date
    package var updatedAt: Date

    package init(id: UUID, appID: UUID, url: String, token: String, createdAt: Date, updatedAt: Date) {
        self.id = id
        self.appID = appID
        self.url = url
        self.token = token
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}
