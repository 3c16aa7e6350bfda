import OpenrukoCore
import Platform
import Routing
import Runtime
import ServiceLifecycle

extension Daemon {
    /// The router on `--router-listen` and, with the platform's certificates, on
    /// `--router-tls-listen`, reading the runtime's route table (the web dynos a release has
    /// switched to); the runtime waits on its in-flight count before stopping an old web dyno.
    /// Before it, the service that keeps the TLS listener's certificates current.
    func routerServices() throws(OpenrukoError) -> [any Service] {
        let (certificates, authority) = try PlatformTLS(configuration: configuration, logger: logger).load()
        let refresher = CertificateRefresher(
            platform: installation.platform, certificates: certificates, authority: authority, domain: configuration.domain,
            logger: logger)
        refresher.refresh()  // uploaded certificates are served from the first connection
        let router = RouterService(
            configuration: RouterConfiguration(listen: configuration.routerListen, tlsListen: configuration.routerTLSListen),
            routes: runtime.routes, logs: installation.platform.logs, registry: registry, certificates: certificates,
            logger: logger)
        runtime.drain.use(router.drain)
        return [refresher, router]
    }
}
