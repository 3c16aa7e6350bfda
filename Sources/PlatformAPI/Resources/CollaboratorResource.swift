import Foundation
import HTTPTypes
import Hummingbird
import OpenrukoCore
import Operations

/// A collaborator (`GET /apps/{app}/collaborators`): `user.email` and `role`.
struct CollaboratorResource: Encodable, Sendable {
    var app: AppReference
    var created_at: String
    var id: String
    var permissions: [Permission] = []
    var role: Nullable<String> = Nullable("collaborator")
    var updated_at: String
    var user: User

    struct Permission: Encodable, Sendable {
        var name: String
        var description: String
    }

    struct User: Encodable, Sendable {
        var email: String
        var federated = false
        var id: String
    }

    init(_ collaborator: Collaborator, app: App) {
        self.app = AppReference(app)
        created_at = collaborator.createdAt.wire
        id = collaborator.id.wire
        updated_at = collaborator.updatedAt.wire
        user = User(email: collaborator.email, id: collaborator.userID.wire)
    }
}

/// A hostname routed to an app (`GET /apps/{app}/domains`): the app's own address (`kind`
/// `heroku`) and custom ones (`custom`, whose DNS should point at `cname`).
struct DomainResource: Encodable, Sendable {
    var acm_status: Nullable<String> = nil
    var acm_status_reason: Nullable<String> = nil
    var app: AppReference
    var cname: Nullable<String>
    var created_at: String
    var hostname: String
    var id: String
    var kind: String
    var updated_at: String
    var status = "succeeded"
    var sni_endpoint: Nullable<NamedReference> = nil

    init(_ domain: Domain, app: App, appHost: String) {
        self.app = AppReference(app)
        cname = Nullable(appHost)
        created_at = domain.createdAt.wire
        hostname = domain.hostname
        id = domain.id.wire
        kind = "custom"
        updated_at = domain.updatedAt.wire
    }

    /// The app's own address, `APP.DOMAIN`.
    init(defaultFor app: App, appHost: String) {
        self.app = AppReference(app)
        cname = nil
        created_at = app.createdAt.wire
        hostname = appHost
        id = StableID.make("domain:\(app.id.wire)")
        kind = "heroku"
        updated_at = app.createdAt.wire
    }
}
