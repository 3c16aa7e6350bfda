import Foundation
package import OpenrukoCore
import Store

// MARK: - Formation, dynos, builds

extension Platform {
    /// The app's formation.
    package func formation(_ name: String, as principal: Principal) throws(OpenrukoError) -> (App, [FormationEntry]) {
        let app = try self.app(name, as: principal)
        return (app, try store.formation(appID: app.id))
    }

    /// The most dynos of one type an app may run.
    package static let maximumQuantity = 100

    /// Scales process types (`web=2`, `worker+1`, sizes) all at once, then lets the runtime
    /// converge.
    /// - Throws: `notFound` for a type the app does not declare, `invalid` beyond the limit.
    package func scale(_ name: String, _ changes: [FormationChange], as principal: Principal) async throws(OpenrukoError)
        -> [FormationEntry]
    {
        let app = try self.app(name, as: principal)
        guard !changes.isEmpty else {
            throw OpenrukoError(.invalid, "Give at least one TYPE=N (e.g. web=2).", resource: "formation")
        }
        let current = try store.formation(appID: app.id)
        var resolved: [(type: String, quantity: Int?, size: String?)] = []
        for change in changes {
            guard let entry = current.first(where: { $0.type == change.type }) else {
                throw OpenrukoError(.notFound, "Couldn't find that process type (\(change.type)).", resource: "formation")
            }
            let quantity = change.quantity?.applied(to: entry.quantity)
            if let quantity, quantity > Self.maximumQuantity {
                throw OpenrukoError(.invalid, "Cannot run more than \(Self.maximumQuantity) \(change.type) dynos.", resource: "formation")
            }
            if let size = change.size, !Self.isValidSize(size) {
                throw OpenrukoError(.invalid, "Unknown dyno size \(size.debugDescription).", resource: "formation")
            }
            resolved.append((change.type, quantity, change.size.map(Self.canonicalSize)))
        }
        let updated = try store.scale(appID: app.id, resolved)
        let actor = try attribution(principal)
        // Heroku's words: "Scaled to web@2:Standard-1X worker@1:Standard-1X by user …".
        let summary = updated.sorted { $0.type < $1.type }.map { "\($0.type)@\($0.quantity):\(Self.displaySize($0.size))" }
            .joined(separator: " ")
        logAPI(app, "Scaled to \(summary) by user \(actor.email)")
        await runtime.appChanged(app)
        return updated
    }

    /// Dyno sizes accepted (Heroku's; the runtime gives each its limits, see `DynoSize`).
    package static let sizes = ["eco", "basic", "standard-1X", "standard-2X", "performance-M", "performance-L"]

    /// A size as Heroku's `app[api]` lines show it (`Standard-1X`, `Basic`, `Eco`).
    static func displaySize(_ size: String) -> String { size.prefix(1).uppercased() + size.dropFirst() }

    static func isValidSize(_ size: String) -> Bool { sizes.contains { $0.lowercased() == size.lowercased() } }
    static func canonicalSize(_ size: String) -> String { sizes.first { $0.lowercased() == size.lowercased() } ?? size }

    /// The app's dynos (`ps`).
    package func dynos(_ name: String, as principal: Principal) async throws(OpenrukoError) -> (App, [Dyno]) {
        let app = try self.app(name, as: principal)
        return (app, try await runtime.dynos(app))
    }

    /// Restarts all dynos, a type, or one dyno.
    package func restart(_ name: String, target: String?, as principal: Principal) async throws(OpenrukoError) -> App {
        let app = try self.app(name, as: principal)
        try await runtime.restart(app, target: target)
        logAPI(app, "Restart \(target ?? "all dynos") by user \(try attribution(principal).email)")
        return app
    }

    /// Stops a type or one dyno.
    package func stop(_ name: String, target: String, as principal: Principal) async throws(OpenrukoError) -> App {
        let app = try self.app(name, as: principal)
        try await runtime.stop(app, target: target)
        logAPI(app, "Stop \(target) by user \(try attribution(principal).email)")
        return app
    }

    // MARK: Builds

    /// The app's builds, oldest first.
    package func builds(_ name: String, as principal: Principal) throws(OpenrukoError) -> (App, [Build]) {
        let app = try self.app(name, as: principal)
        return (app, try store.builds(appID: app.id))
    }

    /// A build's output (default: the latest build).
    package func buildOutput(_ name: String, build id: String?, as principal: Principal) throws(OpenrukoError) -> (Build, String) {
        let app = try self.app(name, as: principal)
        let builds = try store.builds(appID: app.id)
        let build: Build?
        if let id {
            build = builds.first { $0.id.uuidString.lowercased() == id.lowercased() || $0.id.uuidString.lowercased().hasPrefix(id.lowercased()) }
        } else {
            build = builds.last
        }
        guard let build else { throw OpenrukoError(.notFound, "Couldn't find that build.", resource: "build") }
        return (build, try store.buildOutput(id: build.id) ?? "")
    }
}
