package import Foundation
import LibGit2
package import OpenrukoCore
package import Operations

/// Decides the held deploys of pushes (`HeldDeploy`) by where git's deploy branches are:
/// the reference-transaction hook lands its push's release once git has committed the
/// branch; the daemon's recovery settles the ones whose push died on the way (landed when
/// the branch moved to the commit, failed when it did not).
package enum HeldDeploySettler {
    /// Settles the held deploys of `appID` (of every app when nil).
    /// - Parameters:
    ///   - holdingLock: the caller holds the app's build lock (the push's own hook); otherwise
    ///     an app whose lock someone holds is left for later.
    ///   - converge: whether the runtime runs and converges on a landed release now.
    /// - Returns: the releases that failed (their checked web dynos may still run).
    @discardableResult
    package static func settle(platform: Platform, appID: UUID? = nil, holdingLock: Bool, converge: Bool = true) async
        -> [(appID: UUID, releaseID: UUID)]
    {
        var failed: [(appID: UUID, releaseID: UUID)] = []
        for held in (try? platform.heldDeploys(appID: appID)) ?? [] {
            guard let app = try? platform.deployTarget(held.release.appID.uuidString.lowercased()) else { continue }
            let lockedByOther = !holdingLock && BuildLock.isHeld(app: app.name, layout: platform.layout)
            switch held.outcome(branchCommits: branchCommits(platform.layout.repo(app.name)), lockedByOther: lockedByOther) {
            case .wait:
                continue
            case .land:
                await platform.settle(held, of: app, landed: true, converge: converge)
            case .fail:
                if await platform.settle(held, of: app, landed: false).status == .failed { failed.append((app.id, held.release.id)) }
            }
        }
        return failed
    }

    /// The commits the deploy branches (main, master) of a bare repository point at.
    static func branchCommits(_ repository: String) -> Set<String> {
        guard let repo = try? GitRepository.openBare(at: repository) else { return [] }
        return Set(PreReceiveHook.deployRefs.compactMap { repo.commitID(of: $0) })
    }
}
