import Foundation
package import OpenrukoCore
import Store

// MARK: - One-off dynos

extension Platform {
    /// Starts a one-off dyno of the app's current release (`heroku run`, `run:detached`,
    /// `ssh … run`): attached when `attachment` is given (the process starts once a client
    /// connects to it), else detached with its output in the app's log.
    /// - Returns: the app and the new dyno (`run.N`, starting).
    /// - Throws: `notFound` for an app the principal cannot see, `conflict` while the app has
    ///   no release, `invalid` for a bad command, size, type or env or over the one-off limit,
    ///   `unavailable` when no runtime runs here.
    package func runDyno(_ name: String, _ request: OneOffRequest, attachment: DynoAttachment?, as principal: Principal)
        async throws(OpenrukoError) -> (App, Dyno)
    {
        let app = try self.app(name, as: principal)
        guard let release = try store.currentRelease(appID: app.id), let slugID = release.slugID, let slug = try store.slug(id: slugID)
        else {
            throw OpenrukoError(
                .conflict, "\(app.name) has no release yet: deploy it first (git push), then run one-off dynos.", resource: "dyno")
        }
        let plan = try OneOffPlan(request, processTypes: slug.processTypes, sizes: Self.sizes)
        let dyno = try await runtime.runOneOff(app, release: release, slug: slug, plan: plan, attachment: attachment)
        let mode = request.attach ? "" : " (detached)"
        logAPI(app, "Starting process with command `\(plan.command)`\(mode) by user \(try attribution(principal).email)")
        return (app, dyno)
    }
}
