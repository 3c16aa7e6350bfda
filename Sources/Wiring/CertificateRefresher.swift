import Foundation
import Logging
import OpenrukoCore
import Operations
import Routing
import ServiceLifecycle

/// Keeps the TLS listener's certificates in step with the store (uploads, removals, custom
/// domains added or removed, by any process: the daemon, `openruko admin`, the API) and
/// renews the platform's certificate of the local authority a month before it expires.
final class CertificateRefresher: Service, @unchecked Sendable {
    // @unchecked: `served` and `keys` are only touched by `refresh`, which runs on one task
    // at a time (first from the daemon's wiring, before the service starts, then from `run`).
    private let platform: Platform
    private let certificates: TLSCertificates
    private let authority: LocalCertificateAuthority?
    private let domain: String
    private let logger: Logger
    /// How often the store is read.
    private let interval: Duration
    /// What the table holds now: host → certificate id and version.
    private var served: [String: String] = [:]
    /// Keys opened so far, by certificate id and version.
    private var keys: [String: String] = [:]
    /// The store's version of certificates and domains at the last full read, and when that was.
    private var storeVersion: String?
    private var lastFullRead = Date.distantPast

    init(
        platform: Platform, certificates: TLSCertificates, authority: LocalCertificateAuthority?, domain: String, logger: Logger,
        interval: Duration = .seconds(1)
    ) {
        self.platform = platform
        self.certificates = certificates
        self.authority = authority
        self.domain = domain
        self.logger = logger
        self.interval = interval
    }

    func run() async throws {
        await withGracefulShutdownHandler {
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                try? await Task.sleep(for: interval)
                refresh()
            }
        } onGracefulShutdown: {}
    }

    /// Reads the store and updates the listener's table when something changed: every time
    /// the store's version moved, and once a minute anyway (certificates expire).
    func refresh(now: Date = Date()) {
        let version = try? platform.certificatesVersion()
        let renew = authority.flatMap { renewal($0, now: now) }
        if version != nil, version == storeVersion, now.timeIntervalSince(lastFullRead) < 60, renew == nil { return }
        let assignment: [String: AppCertificate]
        do {
            assignment = try platform.sniAssignment(now: now)
        } catch {
            return logger.warning("cannot read the certificates: \(error.message)")
        }
        storeVersion = version
        lastFullRead = now
        let versions = assignment.mapValues(Self.version)
        guard versions != served || renew != nil else { return }
        var uploaded: [String: ServedCertificate] = [:]
        var opened: [String: String] = [:]
        for (host, certificate) in assignment {
            let version = Self.version(certificate)
            guard let key = keys[version] ?? (try? platform.privateKey(of: certificate)) else {
                logger.warning("cannot open the key of certificate \(certificate.name): \(host) gets the platform's")
                continue
            }
            opened[version] = key
            uploaded[host] = ServedCertificate(chainPEM: certificate.certificateChain, keyPEM: key, expiresAt: certificate.expiresAt)
        }
        do {
            let unreadable = try certificates.update(uploaded: uploaded, platform: renew)
            for host in unreadable { logger.warning("the certificate of \(host) cannot be served: it gets the platform's") }
            keys = opened
            served = versions
        } catch {
            logger.warning("cannot renew the platform's certificate: \(error)")
        }
    }

    /// A new platform certificate when the current one expires within 30 days.
    private func renewal(_ authority: LocalCertificateAuthority, now: Date) -> ServedCertificate? {
        guard certificates.platform.expiresAt < now.addingTimeInterval(30 * 86_400) else { return nil }
        return try? PlatformTLS.platformCertificate(authority, domain: domain)
    }

    private static func version(_ certificate: AppCertificate) -> String {
        "\(certificate.id.uuidString)/\(certificate.updatedAt.timeIntervalSince1970)"
    }
}
