import OpenrukoCore
import Operations
import PlatformAPI
import Routing
import Runtime
import ServiceLifecycle

extension Daemon {
    /// The router on `--router-listen` and, with the platform's certificates, on
    /// `--router-tls-listen`, reading the runtime's route table (the web dynos a release has
    /// switched to); the runtime waits on its in-flight count before stopping an old web dyno.
    /// Before it, the service that keeps the TLS listener's certificates current; after it,
    /// the ACME service that orders automatic certificates (its challenges answered by the router).
    func routerServices(_ certificates: TLSCertificates, _ authority: LocalCertificateAuthority?) throws(OpenrukoError) -> [any Service] {
        let refresher = CertificateRefresher(
            platform: installation.platform, certificates: certificates, authority: authority, domain: configuration.domain,
            logger: logger)
        refresher.refresh()  // uploaded certificates are served from the first connection
        let challenges = ACMEChallenges()
        let router = RouterService(
            configuration: RouterConfiguration(listen: configuration.routerListen, tlsListen: configuration.routerTLSListen),
            routes: runtime.routes, logs: installation.platform.logs, registry: registry, certificates: certificates,
            logger: logger, challenges: challenges)
        runtime.drain.use(router.drain)
        let acme = ACMEService(platform: installation.platform, challenges: challenges, settings: ACMESettings(), logger: logger)
        return [refresher, router, acme]
    }

    /// The API's TLS listener on `--api-tls-listen`, serving the platform's certificate as it
    /// is at start (the router's, from `PlatformTLS`); nil when not configured.
    func apiTLSListener(_ certificates: TLSCertificates) throws(OpenrukoError) -> APITLSListener? {
        guard let listen = configuration.apiTLSListen else { return nil }
        do {
            return APITLSListener(listen: listen, configuration: try certificates.platform.serverConfiguration())
        } catch {
            throw OpenrukoError(.unavailable, "The API's TLS listener cannot use the platform certificate: \(error)")
        }
    }
}
