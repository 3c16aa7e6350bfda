import Foundation
import OpenrukoCore
import ServiceLifecycle
import Store
import Synchronization

/// The router's route table until the runtime brings its own: every app under `--domain` and
/// every custom domain from the store, answering `.noWebDynos` (nothing runs dynos yet) and
/// `.unknownHost` otherwise. Re-reads the store every second while it runs as a service.
/// The runtime replaces it in `Daemon.routerServices()` with its table of up dynos.
final class StoreRouteTable: RouteTable, Service {
    private let store: PlatformStore
    private let domain: String
    private let hosts: Mutex<AppHosts>

    init(store: PlatformStore, domain: String) {
        self.store = store
        self.domain = domain
        hosts = Mutex(AppHosts(domain: domain))
        try? refresh()
    }

    func target(forHost host: String) -> RouteTarget {
        guard let app = hosts.withLock({ $0.app(forHost: host) }) else { return .unknownHost }
        return .noWebDynos(app: app.name, appID: app.id)
    }

    /// Reads apps and custom domains from the store.
    func refresh() throws(OpenrukoError) {
        let apps = Dictionary(try store.apps().map { ($0.name, $0.id) }, uniquingKeysWith: { a, _ in a })
        let current = AppHosts(domain: domain, apps: apps, customDomains: try store.allDomains())
        hosts.withLock { $0 = current }
    }

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? refresh()
            try? await Task.sleep(for: .seconds(1))
        }
    }
}
