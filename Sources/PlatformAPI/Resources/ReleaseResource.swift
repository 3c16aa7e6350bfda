import Foundation
import HTTPTypes
import Hummingbird
import OpenrukoCore
import Operations

/// A release (`GET /apps/{app}/releases`): `version`, `current`, `status`, `user.email`,
/// `eligible_for_rollback` (a release that succeeded can be rolled back to).
struct ReleaseResource: Encodable, Sendable {
    var addon_plan_names: [String] = []
    var artifacts: [Artifact]
    var app: AppReference
    var created_at: String
    var description: String
    var id: String
    var updated_at: String
    var slug: Nullable<IDReference>
    var status: String
    var user: UserReference
    var version: Int
    var current: Bool
    var output_stream_url: Nullable<String> = nil
    var eligible_for_rollback: Bool

    struct Artifact: Encodable, Sendable {
        var type: String
        var id: String
    }

    init(_ release: Release, app: App) {
        let slugID = release.slugID?.wire
        artifacts = slugID.map { [Artifact(type: "slug", id: $0)] } ?? []
        self.app = AppReference(app)
        created_at = release.createdAt.wire
        description = release.description
        id = release.id.wire
        updated_at = release.updatedAt.wire
        slug = Nullable(slugID.map { IDReference(id: $0) })
        status = release.status.rawValue
        user = UserReference(id: release.userID, email: release.userEmail)
        version = release.version
        current = release.isCurrent
        eligible_for_rollback = release.status == .succeeded
    }
}

/// A formation entry (`GET /apps/{app}/formation`).
struct FormationResource: Encodable, Sendable {
    var app: AppReference
    var command: String
    var created_at: String
    var dyno_size: NamedReference
    var id: String
    var quantity: Int
    var size: String
    var type: String
    var updated_at: String

    init(_ entry: FormationEntry, app: App) {
        self.app = AppReference(app)
        command = entry.command
        created_at = entry.createdAt.wire
        dyno_size = .fixed("dyno-size", entry.size)
        id = entry.id.wire
        quantity = entry.quantity
        size = entry.size
        type = entry.type
        updated_at = entry.updatedAt.wire
    }
}

/// A dyno (`GET /apps/{app}/dynos`): `name`, `type`, `state`, `command`, `size`.
struct DynoResource: Encodable, Sendable {
    var attach_url: Nullable<String> = nil
    var command: String
    var created_at: String
    var id: String
    var name: String
    var release: Release
    var app: AppReference
    var size: String
    var state: String
    var type: String
    var updated_at: String

    struct Release: Encodable, Sendable {
        var id: String
        var version: Int
    }

    init(_ dyno: Dyno, app: App) {
        command = dyno.command
        created_at = dyno.createdAt.wire
        id = dyno.id.wire
        name = dyno.name
        release = Release(id: (dyno.releaseID ?? StableID.nobody).wire, version: dyno.releaseVersion)
        self.app = AppReference(app)
        size = dyno.size
        state = dyno.state.rawValue
        type = dyno.type
        updated_at = dyno.updatedAt.wire
    }
}
