package import Foundation
package import OpenrukoCore
import Store

// MARK: - Pushed deploys held until git moves the branch

/// A git push's release that passed its release phase and boot check and waits for git to
/// move the branch (`deploy(holdUntilRef: true)`): the branch is what a push commits, so the
/// release goes live only once git has moved it to the release's commit, and fails when git
/// did not (its hook or receive-pack was killed, the ref update failed).
package struct HeldDeploy: Sendable, Hashable {
    package var release: Release
    /// The commit the release deploys.
    package var commit: String

    package init(release: Release, commit: String) {
        self.release = release
        self.commit = commit
    }

    /// What becomes of a held deploy, given the commits the app's deploy branches point at.
    package enum Outcome: Sendable, Hashable {
        /// The branch is at its commit: it becomes the current release.
        case land
        /// The push did not move the branch: it fails, the running release keeps serving.
        case fail
        /// A push or build of the app still holds its build lock: decided later.
        case wait
    }

    /// Decides: nothing while the app's build lock is held by someone else (its push may
    /// still move the branch), else landed exactly when a deploy branch is at the commit.
    package func outcome(branchCommits: Set<String>, lockedByOther: Bool) -> Outcome {
        if lockedByOther { return .wait }
        return branchCommits.contains(commit) ? .land : .fail
    }
}

extension Platform {
    /// The held deploys of every app, or of `appID`.
    package func heldDeploys(appID: UUID? = nil) throws(OpenrukoError) -> [HeldDeploy] {
        try store.heldReleases().filter { appID == nil || $0.release.appID == appID }.map {
            HeldDeploy(release: $0.release, commit: $0.commit)
        }
    }

    /// Decides a held deploy of `app`: landed, it is recorded `succeeded` and the runtime
    /// converges on it (its checked web dynos take over) unless `converge` is false (the daemon
    /// is not running yet and converges when it starts); not landed, it is recorded `failed`.
    /// - Returns: the release as recorded (as decided before when it was decided meanwhile).
    @discardableResult
    package func settle(_ held: HeldDeploy, of app: App, landed: Bool, converge: Bool = true) async -> Release {
        let release = held.release
        let recorded = { [store] in (try? store.release(id: release.id)) ?? release }
        guard landed else {
            guard let failed = try? store.setReleaseStatus(id: release.id, .failed) else { return recorded() }
            logAPI(app, "Release v\(release.version) failed: its push did not move the branch")
            return failed
        }
        guard let succeeded = try? store.setReleaseStatus(id: release.id, .succeeded) else { return recorded() }
        let slug = succeeded.slugID.flatMap { try? store.slug(id: $0) }
        let actor = Attribution(userID: release.userID, email: release.userEmail)
        let activated = await activate(succeeded, of: app, slug: slug, actor: actor, converge: converge) { _ in }
        _ = try? retainArtifacts(of: app, rule: try Self.retentionRule())
        return activated
    }
}
