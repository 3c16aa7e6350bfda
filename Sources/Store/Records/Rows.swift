import Foundation
import GRDB
import OpenrukoCore

// Table rows. One small struct per table; they never leave the Store module: the facade
// returns the domain values of OpenrukoCore. (A table file, several tiny types by design.)

/// Shared coding rules: snake_case columns, UUIDs as lowercase text.
protocol TableRow: Codable, FetchableRecord, PersistableRecord {}

extension TableRow {
    static var databaseColumnDecodingStrategy: DatabaseColumnDecodingStrategy { .convertFromSnakeCase }
    static var databaseColumnEncodingStrategy: DatabaseColumnEncodingStrategy { .convertToSnakeCase }
    static func databaseUUIDEncodingStrategy(for column: String) -> DatabaseUUIDEncodingStrategy { .lowercaseString }
}

struct UserRow: TableRow {
    static let databaseTableName = "users"
    var id: UUID
    var email: String
    var isAdmin: Bool
    var passwordHash: String?
    var createdAt: Date
    var updatedAt: Date

    var user: User {
        User(id: id, email: email, isAdmin: isAdmin, hasPassword: passwordHash != nil, createdAt: createdAt, updatedAt: updatedAt)
    }
}

struct SSHKeyRow: TableRow {
    static let databaseTableName = "ssh_keys"
    var id: UUID
    var userId: UUID
    var name: String
    var type: String
    var fingerprint: String
    var publicKey: String
    var createdAt: Date
    var updatedAt: Date

    func key(email: String) -> SSHKey {
        SSHKey(
            id: id, userID: userId, userEmail: email, name: name, type: type, fingerprint: fingerprint,
            publicKey: publicKey, createdAt: createdAt, updatedAt: updatedAt)
    }
}

struct APITokenRow: TableRow {
    static let databaseTableName = "api_tokens"
    var id: UUID
    var userId: UUID
    var tokenHash: String
    var description: String
    var createdAt: Date
    var expiresAt: Date?

    var token: APIToken {
        APIToken(id: id, userID: userId, description: description, createdAt: createdAt, expiresAt: expiresAt)
    }
}

struct AppRow: TableRow {
    static let databaseTableName = "apps"
    var id: UUID
    var name: String
    var ownerId: UUID
    var stack: String
    var buildpacks: [String]
    var maintenance: Bool
    var createdAt: Date
    var updatedAt: Date
    var sandboxUid: UInt32?
    var containerBuilds = false

    func app(ownerEmail: String) -> App {
        App(
            id: id, name: name, ownerID: ownerId, ownerEmail: ownerEmail, stack: stack, buildpacks: buildpacks,
            maintenance: maintenance, createdAt: createdAt, updatedAt: updatedAt, sandboxUID: sandboxUid,
            containerBuilds: containerBuilds)
    }
}

struct CollaboratorRow: TableRow {
    static let databaseTableName = "collaborators"
    var id: UUID
    var appId: UUID
    var userId: UUID
    var createdAt: Date
    var updatedAt: Date
}

struct ConfigVarRow: TableRow {
    static let databaseTableName = "config_vars"
    var appId: UUID
    var key: String
    var value: String
}

struct SlugRow: TableRow {
    static let databaseTableName = "slugs"
    var id: UUID
    var appId: UUID
    var processTypes: [String: String]
    var size: Int64
    var checksum: String
    var commit: String?
    var commitDescription: String?
    var buildpackDescription: String?
    var stack: String
    var createdAt: Date
    var images: [String: ContainerImage]?

    var slug: Slug {
        Slug(
            id: id, appID: appId, processTypes: processTypes, size: size, checksum: checksum, commit: commit,
            commitDescription: commitDescription, buildpackDescription: buildpackDescription, stack: stack,
            createdAt: createdAt, images: images)
    }
}

struct ReleaseRow: TableRow {
    static let databaseTableName = "releases"
    var id: UUID
    var appId: UUID
    var version: Int
    var slugId: UUID?
    var config: [String: String]
    var description: String
    var userId: UUID?
    var userEmail: String
    var status: String
    var createdAt: Date
    var updatedAt: Date

    /// - Parameter expired: the app's expired slugs: a succeeded release of one reads `expired`.
    func release(currentVersion: Int?, expired: Set<UUID> = []) -> Release {
        var state = Release.Status(rawValue: status) ?? .failed
        if state == .succeeded, let slugId, expired.contains(slugId) { state = .expired }
        return Release(
            id: id, appID: appId, version: version, slugID: slugId, config: config, description: description,
            userID: userId, userEmail: userEmail, status: state,
            isCurrent: version == currentVersion, createdAt: createdAt, updatedAt: updatedAt)
    }
}

struct BuildRow: TableRow {
    static let databaseTableName = "builds"
    var id: UUID
    var appId: UUID
    var status: String
    var commit: String?
    var userId: UUID?
    var userEmail: String
    var buildpacks: [String]
    var output: String
    var slugId: UUID?
    var releaseId: UUID?
    var createdAt: Date
    var updatedAt: Date

    var build: Build {
        Build(
            id: id, appID: appId, status: Build.Status(rawValue: status) ?? .failed, commit: commit, userID: userId,
            userEmail: userEmail, buildpacks: buildpacks, slugID: slugId, releaseID: releaseId, createdAt: createdAt,
            updatedAt: updatedAt)
    }
}

struct FormationRow: TableRow {
    static let databaseTableName = "formation"
    var id: UUID
    var appId: UUID
    var type: String
    var quantity: Int
    var size: String
    var command: String
    var createdAt: Date
    var updatedAt: Date

    var entry: FormationEntry {
        FormationEntry(
            id: id, appID: appId, type: type, quantity: quantity, size: size, command: command, createdAt: createdAt,
            updatedAt: updatedAt)
    }
}

struct DomainRow: TableRow {
    static let databaseTableName = "domains"
    var id: UUID
    var appId: UUID
    var hostname: String
    var createdAt: Date
    var updatedAt: Date

    var domain: Domain { Domain(id: id, appID: appId, hostname: hostname, createdAt: createdAt, updatedAt: updatedAt) }
}

struct LogDrainRow: TableRow {
    static let databaseTableName = "log_drains"
    var id: UUID
    var appId: UUID
    var url: String
    var token: String
    var createdAt: Date
    var updatedAt: Date

    var drain: LogDrain { LogDrain(id: id, appID: appId, url: url, token: token, createdAt: createdAt, updatedAt: updatedAt) }
}
