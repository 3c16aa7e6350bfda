import OpenrukoCore
import Platform
import Routing
import ServiceLifecycle

extension Daemon {
    /// The router on `--router-listen`, with its route table. Until the runtime exists the
    /// table is the store-backed `StoreRouteTable` (known apps answer H14); the runtime will
    /// pass its own table here and take `RouterService.drain` for release switches.
    func routerServices() -> [any Service] {
        let routes = StoreRouteTable(store: installation.store, domain: configuration.domain)
        let router = RouterService(
            configuration: RouterConfiguration(listen: configuration.routerListen), routes: routes,
            logs: installation.platform.logs, registry: registry)
        return [routes, router]
    }
}
