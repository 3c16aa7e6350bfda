package import Foundation
package import OpenrukoCore
import Store

// MARK: - App settings and details (PATCH /apps, stacks, apps:info)

/// An app with what `apps:info` shows about it besides its record.
package struct AppDetails: Sendable, Hashable {
    package var app: App
    /// The newest release that succeeded.
    package var currentRelease: Release?
    /// That release's slug.
    package var slug: Slug?
    /// The git repository's size on disk, when it was measured.
    package var repoSize: Int64?
}

extension Platform {
    /// The apps a user owns or collaborates on: yourself, or anyone for admins.
    package func apps(accessibleBy email: String?, as principal: Principal) throws(OpenrukoError) -> [App] {
        let user = try subject(email, as: principal, action: "list other users' apps")
        return try store.apps(accessibleBy: user.id)
    }

    /// Turns maintenance mode on or off; the router serves the maintenance page (H80) as
    /// soon as this returns.
    package func setMaintenance(_ name: String, _ on: Bool, as principal: Principal) async throws(OpenrukoError) -> App {
        let app = try self.app(name, as: principal)
        guard app.maintenance != on else { return app }
        try store.setMaintenance(appID: app.id, on)
        logAPI(app, "Maintenance mode \(on ? "enabled" : "disabled") by user \(try attribution(principal).email)")
        let changed = try self.app(app.id.uuidString, as: principal)
        await runtime.appChanged(changed)
        return changed
    }

    /// Allows or forbids the app's container builds (admins only: their `RUN` steps are root on
    /// the host).
    package func setContainerBuilds(_ name: String, _ on: Bool, as principal: Principal) throws(OpenrukoError) -> App {
        try requireAdmin(principal, to: "allow container builds")
        let app = try self.app(name, as: principal)
        try store.setContainerBuilds(appID: app.id, on)
        logAPI(app, "Container builds \(on ? "allowed" : "forbidden") by user \(try attribution(principal).email)")
        return try self.app(app.id.uuidString, as: principal)
    }

    /// An app with its current release, slug and (when `measureRepository`) repository size.
    package func details(of app: App, measureRepository: Bool) throws(OpenrukoError) -> AppDetails {
        let release = try store.currentRelease(appID: app.id)
        let slug = try release?.slugID.flatMap { id throws(OpenrukoError) in try store.slug(id: id) }
        return AppDetails(
            app: app, currentRelease: release, slug: slug, repoSize: measureRepository ? repositories.size(app: app.name) : nil)
    }

    /// The principal behind a user id recorded in a capability URL, if the user still exists.
    package func principal(userID: UUID) throws(OpenrukoError) -> Principal? {
        try store.user(id: userID).map { .user($0) }
    }
}
