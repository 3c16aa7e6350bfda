package import Foundation
package import OpenrukoCore
import ServiceLifecycle
package import Store
import Synchronization

/// The daemon's dyno supervisor: runs every app's current release × formation as sandboxed
/// dynos and keeps the route table current. On start it cleans up after a daemon that died
/// and converges every app (so a restarted daemon runs the formation again); on graceful
/// shutdown it stops every dyno (SIGTERM, grace, SIGKILL).
///
/// ```swift
/// let supervisor = DynoSupervisor(host: host, store: store, routes: routes, drain: router)
/// let platform = Platform(…, runtime: supervisor, releasePhase: ReleasePhase(host: host))
/// ```
package final class DynoSupervisor: RuntimeControl, Service {
    package let host: DynoHost
    package let store: PlatformStore
    package let routes: RuntimeRoutes
    private let drain: any TrafficDrain
    private let apps = Mutex<[UUID: AppDynos]>([:])

    package init(host: DynoHost, store: PlatformStore, routes: RuntimeRoutes, drain: any TrafficDrain) {
        self.host = host
        self.store = store
        self.routes = routes
        self.drain = drain
    }

    func dynos(of appID: UUID) -> AppDynos {
        let (host, store, routes, drain) = (host, store, routes, drain)
        return apps.withLock { apps in
            if let existing = apps[appID] { return existing }
            let created = AppDynos(appID: appID, host: host, store: store, routes: routes, drain: drain)
            apps[appID] = created
            return created
        }
    }

    // MARK: RuntimeControl

    package func prepareRollout(_ app: App, release: Release, output: @escaping @Sendable (String) -> Void) async -> RolloutReadiness {
        refreshHosts()
        return await dynos(of: app.id).prepare(release, output: output)
    }

    /// Stops the web dynos started to check `releaseID` before it goes live (they wait up to
    /// ten minutes for their rollout otherwise), once that release has failed elsewhere.
    package func discardCandidates(appID: UUID, releaseID: UUID) async {
        await dynos(of: appID).discardCandidates(of: releaseID)
    }

    package func appChanged(_ app: App) async {
        refreshHosts()
        await dynos(of: app.id).converge()
    }

    package func appDestroyed(_ app: App) async {
        let removed = apps.withLock { $0.removeValue(forKey: app.id) }
        await removed?.stopAll()
        routes.remove(app.id)
        refreshHosts()
    }

    package func restart(_ app: App, target: String?) async throws(OpenrukoError) {
        try await dynos(of: app.id).restart(target: target)
    }

    package func stop(_ app: App, target: String) async throws(OpenrukoError) {
        try await dynos(of: app.id).stop(target: target)
    }

    package func dynos(_ app: App) async throws(OpenrukoError) -> [Dyno] {
        await dynos(of: app.id).dynos()
    }

    package func runOneOff(_ app: App, release: Release, slug: Slug, plan: OneOffPlan, attachment: DynoAttachment?)
        async throws(OpenrukoError) -> Dyno
    {
        try await dynos(of: app.id).runOneOff(app: app, release: release, slug: slug, plan: plan, attachment: attachment)
    }

    package func runInside(_ app: App, dyno: String, plan: OneOffPlan, attachment: DynoAttachment) async throws(OpenrukoError) -> Dyno {
        try await dynos(of: app.id).runInside(name: dyno, plan: plan, attachment: attachment)
    }

    // MARK: Service

    package func run() async throws {
        host.filesystem.removeStale()
        refreshHosts()
        let all = (try? store.apps()) ?? []
        await withTaskGroup(of: Void.self) { group in
            for app in all {
                let appDynos = dynos(of: app.id)
                group.addTask { await appDynos.converge() }
            }
        }
        await withGracefulShutdownHandler {
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                try? await Task.sleep(for: .seconds(2))
                refreshHosts()
            }
        } onGracefulShutdown: {}
        let running = apps.withLock { Array($0.values) }
        await withTaskGroup(of: Void.self) { group in
            for appDynos in running { group.addTask { await appDynos.stopAll() } }
        }
    }

    /// Re-reads app names and custom domains for the route table.
    func refreshHosts() {
        guard let all = try? store.apps(), let domains = try? store.allDomains() else { return }
        routes.setApps(
            Dictionary(all.map { ($0.name, $0.id) }, uniquingKeysWith: { a, _ in a }), customDomains: domains,
            maintenance: Set(all.filter(\.maintenance).map(\.id)))
    }
}

/// The drain of a runtime without a router: nothing is in flight.
package struct NoTrafficDrain: TrafficDrain {
    package init() {}
    package func drain(_ backend: Backend, timeout: Duration) async {}
}

/// A drain chosen after the supervisor is made (the router is built later in the daemon's
/// wiring); until one is set, nothing is in flight.
package final class TrafficDrainRelay: TrafficDrain {
    private let target = Mutex<(any TrafficDrain)?>(nil)

    package init() {}

    /// Sends future drains to `drain`.
    package func use(_ drain: any TrafficDrain) { target.withLock { $0 = drain } }

    package func drain(_ backend: Backend, timeout: Duration) async {
        guard let drain = target.withLock({ $0 }) else { return }
        await drain.drain(backend, timeout: timeout)
    }
}
