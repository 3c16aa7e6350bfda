import Foundation
import HTTPTypes
import Hummingbird
import OpenrukoCore
import Operations

/// An app (`GET /apps/{app}`), with every field the heroku CLI reads (`owner.email`,
/// `region.name`, `stack.name`, `build_stack.name`, `repo_size`, `slug_size`, `generation`).
struct AppResource: Encodable, Sendable {
    var acm = false
    var archived_at: Nullable<String> = nil
    var buildpack_provided_description: Nullable<String> = nil
    var build_stack: NamedReference
    var created_at: String
    var generation = AppResource.generation
    var git_url: String
    var id: String
    var internal_routing: Nullable<Bool> = nil
    var maintenance: Bool
    var name: String
    var owner: Owner
    var organization: Nullable<NamedReference> = nil
    var team: Nullable<NamedReference> = nil
    var region = AppResource.region
    var released_at: Nullable<String> = nil
    var repo_size: Nullable<Int64> = nil
    var slug_size: Nullable<Int64> = nil
    var space: Nullable<NamedReference> = nil
    var stack: NamedReference
    var updated_at: String
    var web_url: String

    struct Owner: Encodable, Sendable {
        var email: String
        var id: String
    }

    /// Always "cedar": the CLI branches on `fir` and otherwise guesses from the app name.
    static let generation = NamedReference.fixed("generation", "cedar")

    /// The one region of a single-host openruko.
    static let region = NamedReference.fixed("region", "local")

    init(_ details: AppDetails, urls: PublicURLs) {
        let app = details.app
        buildpack_provided_description = .init(details.slug?.buildpackDescription)
        build_stack = .fixed("stack", app.stack)
        stack = .fixed("stack", details.slug?.stack ?? app.stack)
        created_at = app.createdAt.wire
        git_url = urls.gitURL(app.name)
        id = app.id.wire
        maintenance = app.maintenance
        name = app.name
        owner = Owner(email: app.ownerEmail, id: app.ownerID.wire)
        released_at = .init(details.currentRelease?.createdAt.wire)
        repo_size = .init(details.repoSize)
        slug_size = .init(details.slug?.size)
        updated_at = app.updatedAt.wire
        web_url = urls.webURL(app.name)
    }
}

/// A stack (`GET /stacks`).
struct StackResource: Encodable, Sendable {
    var created_at: String
    var `default`: Bool
    var id: String
    var name: String
    var state = "supported"
    var updated_at: String

    init(_ stack: StackSummary) {
        let reference = NamedReference.fixed("stack", stack.name)
        id = reference.id
        name = stack.name
        self.default = stack.isDefault
        created_at = stack.builtAt?.wire ?? "2022-05-01T00:00:00Z"
        updated_at = created_at
    }
}
