import OpenrukoCore
import Platform
import Routing
import Runtime
import ServiceLifecycle

extension Daemon {
    /// The router on `--router-listen`, reading the runtime's route table (the web dynos a
    /// release has switched to); the runtime waits on its in-flight count before stopping an
    /// old web dyno.
    func routerServices() -> [any Service] {
        let router = RouterService(
            configuration: RouterConfiguration(listen: configuration.routerListen), routes: runtime.routes,
            logs: installation.platform.logs, registry: registry)
        runtime.drain.use(router.drain)
        return [router]
    }
}
