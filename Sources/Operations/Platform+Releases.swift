import Foundation
package import OpenrukoCore
package import Store

// MARK: - Config vars, releases, rollback, deploys

extension Platform {
    /// The app's config vars.
    package func config(_ name: String, as principal: Principal) throws(OpenrukoError) -> (App, [String: String]) {
        let app = try self.app(name, as: principal)
        return (app, try store.config(appID: app.id))
    }

    /// All releases, oldest first.
    package func releases(_ name: String, as principal: Principal) throws(OpenrukoError) -> (App, [Release]) {
        let app = try self.app(name, as: principal)
        return (app, try store.releases(appID: app.id))
    }

    /// Release vN (or by id).
    package func release(_ name: String, _ versionOrID: String, as principal: Principal) throws(OpenrukoError) -> (App, Release) {
        let app = try self.app(name, as: principal)
        let text = versionOrID.hasPrefix("v") ? String(versionOrID.dropFirst()) : versionOrID
        let found: Release? =
            if let version = Int(text) { try store.release(appID: app.id, version: version) }
            else if let id = UUID(uuidString: versionOrID) { try store.release(id: id).flatMap { $0.appID == app.id ? $0 : nil } }
            else { nil }
        guard let found else { throw OpenrukoError(.notFound, "Couldn't find release \(versionOrID).", resource: "release") }
        return (app, found)
    }

    /// Rolls back to vN (default: the succeeded release before the current one): a new
    /// release "Rollback to vN" with vN's slug and config.
    package func rollback(
        _ name: String, to version: Int?, as principal: Principal, output: @escaping @Sendable (String) -> Void = { _ in }
    ) async throws(OpenrukoError) -> Release {
        let app = try self.app(name, as: principal)
        let target: Int
        if let version {
            target = version
        } else {
            let succeeded = try store.releases(appID: app.id).filter { $0.status == .succeeded }
            guard succeeded.count >= 2 else {
                throw OpenrukoError(.invalid, "\(app.name) has no earlier release to roll back to.", resource: "release")
            }
            target = succeeded[succeeded.count - 2].version
        }
        guard let targetRelease = try store.release(appID: app.id, version: target) else {
            throw OpenrukoError(.notFound, "Couldn't find release v\(target).", resource: "release")
        }
        if targetRelease.status == .expired {  // retention removed its slug (Platform+Disk)
            let rule = try Self.retentionRule()
            let rollbackable = try store.releases(appID: app.id).filter { $0.status == .succeeded && !$0.isCurrent }.map(\.version)
            throw OpenrukoError(.invalid, rule.rollbackRefusal(app: app.name, version: target, rollbackable: rollbackable), resource: "release")
        }
        let actor = try attribution(principal)
        let release = try store.rollback(
            appID: app.id, to: target, actor: actor, status: try initialStatus(slugID: targetRelease.slugID))
        logAPI(app, "Rollback to v\(target) by user \(actor.email)")
        return await publish(release, of: app, actor: actor, output: output)
    }

    /// Records a built slug as the next release ("Deploy abc1234") and rolls it out, running
    /// the release phase first when the slug declares one.
    /// - Parameters:
    ///   - holdUntilRef: for a git push: a release that passed its checks stays `pending`, its
    ///     new web dynos waiting, until git has moved the branch (`settle(_:landed:)`), so a
    ///     push that git does not complete never goes live.
    /// - Returns: the release, `succeeded` or `failed` (the old release keeps running then),
    ///   or `pending` when held and ready.
    package func deploy(
        _ app: App, slug: Slug, actor: Attribution, description: String? = nil, holdUntilRef: Bool = false,
        output: @escaping @Sendable (String) -> Void = { _ in }
    ) async throws(OpenrukoError) -> Release {
        let text = description ?? "Deploy \(slug.commit.map { String($0.prefix(7)) } ?? slug.id.uuidString.prefix(8).lowercased())"
        let release = try store.createRelease(appID: app.id, slugID: slug.id, description: text, actor: actor, status: .pending)
        logAPI(app, "\(text) by user \(actor.email)")
        let published = await publish(release, of: app, actor: actor, verifyBoot: true, hold: holdUntilRef, output: output)
        // Optional work: the collector catches up with anything left here.
        if published.status == .succeeded { _ = try? retainArtifacts(of: app, rule: try Self.retentionRule()) }
        return published
    }

    /// `pending` when the slug has a `release` process type (the phase must run), else `succeeded`.
    func initialStatus(slugID: UUID?) throws(OpenrukoError) -> Release.Status {
        guard let slugID, let slug = try store.slug(id: slugID), slug.processTypes[ProcessType.release.rawValue] != nil else {
            return .succeeded
        }
        return .pending
    }

    /// Decides a pending release — its release phase must succeed and, for a deploy
    /// (`verifyBoot`), its new web dynos must come up — then lets the runtime converge on the
    /// new current release. A failed release leaves the running one serving.
    func publish(
        _ release: Release, of app: App, actor: Attribution, verifyBoot: Bool = false, hold: Bool = false,
        output: @escaping @Sendable (String) -> Void
    ) async -> Release {
        var release = release
        // Nothing on this path is optional: a failure to read or record anything fails the
        // release (the running one keeps serving), with what went wrong.
        let slug: Slug?
        do {
            slug = try release.slugID.flatMap { id throws(OpenrukoError) in
                guard let slug = try store.slug(id: id) else { throw OpenrukoError(.notFound, "its slug \(id) is missing") }
                return slug
            }
        } catch {
            return refuse(release, of: app, "Cannot read the slug of v\(release.version): \(error.message).", output: output)
        }
        if release.status == .pending {
            var succeeded = true
            if let slug, let command = slug.processTypes[ProcessType.release.rawValue] {
                succeeded = await releasePhase.runReleasePhase(app: app, release: release, slug: slug, command: command, output: output)
                if !succeeded {
                    output(" !     Release command failed: v\(release.version) was not released.")
                    logAPI(app, "Release v\(release.version) failed: its release command did not succeed")
                }
            }
            if succeeded, verifyBoot, slug != nil {
                switch await runtime.prepareRollout(app, release: release, output: output) {
                case .ready:
                    break
                case .deferred(let note):
                    output(note)
                case .failed(let reason, let lines):
                    succeeded = false
                    output(" !     \(reason) v\(release.version) was not released.")
                    if !lines.isEmpty {
                        output(" !     Its last output lines:")
                        for line in lines { output(" !       \(line)") }
                    }
                    logAPI(app, "Release v\(release.version) failed: \(reason)")
                }
            }
            guard succeeded else { return refuse(release, of: app, nil, output: output) }
            if hold { return release }  // decided once git has moved the branch (Platform+HeldDeploys)
            do {
                release = try store.setReleaseStatus(id: release.id, .succeeded)
            } catch {
                return refuse(release, of: app, "Cannot record v\(release.version) as released: \(error.message).", output: output)
            }
        }
        guard release.status == .succeeded else { return release }
        return await activate(release, of: app, slug: slug, actor: actor, output: output)
    }

    /// A release just recorded `succeeded`: its process types become the formation's and the
    /// runtime converges on it (unless `converge` is false: no runtime runs yet, the daemon
    /// converges when it starts).
    func activate(
        _ release: Release, of app: App, slug: Slug?, actor: Attribution, converge: Bool = true,
        output: @escaping @Sendable (String) -> Void
    ) async -> Release {
        logAPI(app, "Release v\(release.version) created by user \(actor.email)")
        do {
            _ = try store.applyProcessTypes(appID: app.id, slug?.processTypes ?? [:])
        } catch {
            output(" !     v\(release.version) is released, but its process types could not be recorded: \(error.message).")
            logAPI(app, "Release v\(release.version): its process types could not be recorded (\(error.message))")
        }
        if converge { await runtime.appChanged(app) }
        return release
    }

    /// Marks `release` failed (when it can) with `reason` told to the pusher and the log; the
    /// running release keeps serving.
    private func refuse(_ release: Release, of app: App, _ reason: String?, output: @escaping @Sendable (String) -> Void) -> Release {
        if let reason {
            output(" !     \(reason) v\(release.version) was not released.")
            logAPI(app, "Release v\(release.version) failed: \(reason)")
        }
        guard release.status == .pending else { return release }
        return (try? store.setReleaseStatus(id: release.id, .failed)) ?? release
    }
}
