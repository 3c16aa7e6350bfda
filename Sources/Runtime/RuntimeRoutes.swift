package import Foundation
package import OpenrukoCore
import Synchronization

/// The router's view, kept by the runtime: for each app its active web dynos (those a
/// rollout has switched traffic to) with their latest states. A request's target is computed
/// when anything changes, so `target(forHost:)` is a dictionary lookup under a short lock.
package final class RuntimeRoutes: RouteTable, Sendable {
    struct AppRoute {
        var name: String
        var webWanted = false
        var slots: [UUID: DynoStatus] = [:]
        var active: Set<UUID> = []
        var target: RouteTarget
    }

    private struct State {
        var apps: [UUID: AppRoute] = [:]
        var hosts: AppHosts
    }

    private let state: Mutex<State>

    /// - Parameter domain: `--domain`; apps answer at `APP.DOMAIN`.
    package init(domain: String) {
        state = Mutex(State(hosts: AppHosts(domain: domain)))
    }

    package func target(forHost host: String) -> RouteTarget {
        let host = host.lowercased()
        return state.withLock { state in
            guard let (_, id) = state.hosts.app(forHost: host), let route = state.apps[id] else { return .unknownHost }
            return route.target
        }
    }

    /// Records the apps that exist (name → id) and the custom domains (host → app name).
    package func setApps(_ apps: [String: UUID], customDomains: [String: String]) {
        state.withLock { state in
            state.hosts = AppHosts(domain: state.hosts.domain, apps: apps, customDomains: customDomains)
            for (name, id) in apps where state.apps[id] == nil {
                state.apps[id] = AppRoute(name: name, target: .noWebDynos(app: name, appID: id))
            }
            for (name, id) in apps { state.apps[id]?.name = name }
            for id in state.apps.keys where !apps.values.contains(id) { state.apps[id] = nil }
            for id in state.apps.keys { Self.recompute(&state.apps[id]!, id: id) }
        }
    }

    /// Whether the app's formation asks for web dynos (else requests get H14).
    package func setWebWanted(_ app: App, _ wanted: Bool) {
        mutate(app) { $0.webWanted = wanted }
    }

    /// A dyno's latest state (any of the app's dynos; only active web ones are routed).
    package func update(_ appID: UUID, _ status: DynoStatus) {
        state.withLock { state in
            guard state.apps[appID] != nil, status.spec.type == ProcessType.web.rawValue else { return }
            state.apps[appID]!.slots[status.slot] = status
            Self.recompute(&state.apps[appID]!, id: appID)
        }
    }

    /// Sends traffic to these web slots as well.
    package func activate(_ app: App, _ statuses: [DynoStatus]) {
        mutate(app) { route in
            for status in statuses {
                route.slots[status.slot] = status
                route.active.insert(status.slot)
            }
        }
    }

    /// Stops choosing these slots for new requests.
    package func deactivate(_ appID: UUID, _ slots: [UUID]) {
        state.withLock { state in
            guard state.apps[appID] != nil else { return }
            for slot in slots {
                state.apps[appID]!.active.remove(slot)
                state.apps[appID]!.slots[slot] = nil
            }
            Self.recompute(&state.apps[appID]!, id: appID)
        }
    }

    /// Forgets an app.
    package func remove(_ appID: UUID) {
        state.withLock { state in
            state.apps[appID] = nil
            state.hosts.apps = state.hosts.apps.filter { $0.value != appID }
        }
    }

    private func mutate(_ app: App, _ change: (inout AppRoute) -> Void) {
        state.withLock { state in
            if state.apps[app.id] == nil {
                state.apps[app.id] = AppRoute(name: app.name, target: .noWebDynos(app: app.name, appID: app.id))
                state.hosts.apps[app.name] = app.id
            }
            change(&state.apps[app.id]!)
            Self.recompute(&state.apps[app.id]!, id: app.id)
        }
    }

    private static func recompute(_ route: inout AppRoute, id: UUID) {
        let active = route.active.compactMap { route.slots[$0] }.sorted { $0.spec.index < $1.spec.index }
        let up = active.filter { $0.state == .up }
        if !up.isEmpty {
            route.target = .backends(app: route.name, appID: id, up.map(\.backend))
        } else if !route.webWanted || active.isEmpty {
            route.target = .noWebDynos(app: route.name, appID: id)
        } else if active.contains(where: { $0.state == .starting }) {
            route.target = .starting(app: route.name, appID: id)
        } else {
            route.target = .crashed(app: route.name, appID: id)
        }
    }
}
