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

// MARK: - run:inside

extension Platform {
    /// Starts `request`'s command inside the app's running dyno `dyno` (`run:inside`,
    /// `POST /apps/{app}/dynos/{dyno}` with `version=3.run-inside`): in its sandbox, as its
    /// user, with its environment plus `request.env`, once `attachment`'s client connects.
    /// - Returns: the app and the dyno it runs in.
    /// - Throws: `notFound` for an app the principal cannot see or an unknown dyno, `conflict`
    ///   when the dyno is not up, `invalid` for a bad command or env or over the one-off limit,
    ///   `unavailable` when no runtime runs here.
    package func runInside(_ name: String, dyno: String, _ request: OneOffRequest, attachment: DynoAttachment, as principal: Principal)
        async throws(OpenrukoError) -> (App, Dyno)
    {
        let app = try self.app(name, as: principal)
        guard !dyno.isEmpty, dyno.utf8.count <= 100, dyno.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) })
        else {
            throw OpenrukoError(.notFound, "Couldn't find that dyno.", resource: "dyno")
        }
        var checked = request
        checked.size = nil
        checked.type = nil
        checked.attach = true
        let plan = try OneOffPlan(checked, processTypes: [:], sizes: Self.sizes)
        let found = try await runtime.runInside(app, dyno: dyno, plan: plan, attachment: attachment)
        logAPI(app, "Running command `\(plan.command)` inside \(found.name) by user \(try attribution(principal).email)")
        return (app, found)
    }
}
