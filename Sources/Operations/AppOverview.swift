package import Foundation
package import OpenrukoCore
import Store

/// What `apps:info` shows of one app: its record, current release and slug, formation and
/// collaborators, read in one call through `Platform` (front ends never reach the store).
package struct AppOverview: Sendable {
    package var app: App
    package var current: Release?
    package var slug: Slug?
    package var formation: [FormationEntry]
    package var collaborators: [Collaborator]
}

extension Platform {
    /// The app's overview for `apps:info` (see `AppOverview`).
    package func overview(_ name: String, as principal: Principal) throws(OpenrukoError) -> AppOverview {
        let app = try self.app(name, as: principal)
        let current = try store.currentRelease(appID: app.id)
        let slug = try current?.slugID.flatMap { id throws(OpenrukoError) in try store.slug(id: id) }
        return AppOverview(
            app: app, current: current, slug: slug, formation: try store.formation(appID: app.id),
            collaborators: try store.collaborators(appID: app.id))
    }
}
