import Foundation
import Logging
import OpenrukoCore
import ServiceLifecycle
import Store

/// Every `interval`, fails the builds whose owner died while the daemon runs (a killed push
/// hook), so nothing stays `pending` until the next restart (`Recovery.failAbandoned`),
/// settles the held deploys whose push ended without landing them (`HeldDeploySettler`), and
/// removes what decided builds and dead hooks' dynos left behind.
struct RecoverySweepService: Service {
    let store: PlatformStore
    let layout: DataLayout
    let logger: Logger
    /// Removes the directories (and processes) of dynos whose owner died (`DynoFilesystem.removeStale`).
    let removeStaleDynos: @Sendable () -> Void
    /// Stops the web dynos started to check a release that failed here.
    let discardCandidates: @Sendable (_ appID: UUID, _ releaseID: UUID) async -> Void
    /// Settles the held deploys of apps nobody is pushing to; returns the releases that failed.
    let settleHeldDeploys: @Sendable () async -> [(appID: UUID, releaseID: UUID)]
    var interval: Duration = .seconds(5)

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            guard !Task.isShuttingDownGracefully && !Task.isCancelled else { return }
            for (appID, releaseID) in Recovery.failAbandoned(store: store, layout: layout, logger: logger) + (await settleHeldDeploys()) {
                await discardCandidates(appID, releaseID)
            }
            removeStaleDynos()
        }
    }
}
