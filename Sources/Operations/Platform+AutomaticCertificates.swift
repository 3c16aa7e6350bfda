package import Foundation
package import OpenrukoCore
import Store

// MARK: - Automatic certificates (Heroku's ACM: certs:auto)

extension Platform {
    /// Whether the app has automatic certificates on, and where each of its custom domains
    /// stands (a domain not tried yet is `pending`).
    package func automaticCertificates(_ name: String, as principal: Principal) throws(OpenrukoError) -> (
        App, enabled: Bool, domains: [AutomaticCertificate]
    ) {
        let app = try self.app(name, as: principal)
        return (app, try store.automaticCertificatesEnabled(appID: app.id), try automaticStates(of: app))
    }

    /// Whether `app` has automatic certificates on (the `acm` of the app resource).
    package func automaticCertificatesEnabled(_ app: App) -> Bool {
        (try? store.automaticCertificatesEnabled(appID: app.id)) ?? false
    }

    /// Turns automatic certificates on: the daemon orders one for each custom domain.
    package func enableAutomaticCertificates(_ name: String, as principal: Principal) throws(OpenrukoError) -> App {
        let app = try self.app(name, as: principal)
        try store.enableAutomaticCertificates(appID: app.id)
        logAPI(app, "Enable automatic certificates by user \((try? attribution(principal).email) ?? "admin")")
        return app
    }

    /// Turns automatic certificates off and removes the certificates ACME issued.
    package func disableAutomaticCertificates(_ name: String, as principal: Principal) throws(OpenrukoError) -> App {
        let app = try self.app(name, as: principal)
        try store.disableAutomaticCertificates(appID: app.id)
        logAPI(app, "Disable automatic certificates by user \((try? attribution(principal).email) ?? "admin")")
        return app
    }

    private func automaticStates(of app: App) throws(OpenrukoError) -> [AutomaticCertificate] {
        let known = Dictionary(try store.automaticCertificates(appID: app.id).map { ($0.hostname, $0) }, uniquingKeysWith: { a, _ in a })
        return try store.domains(appID: app.id).map(\.hostname).sorted().map { host in
            known[host] ?? AutomaticCertificate(hostname: host, appID: app.id)
        }
    }

    // MARK: For the daemon's ACME service

    /// Every custom domain of every app with automatic certificates on, with its state.
    package func automaticCertificateWork(now: Date = Date()) throws(OpenrukoError) -> [AutomaticCertificate] {
        try store.automaticCertificateWork(now: now)
    }

    /// Records a domain's state (a failure), unless its app no longer wants it.
    package func saveAutomaticCertificate(_ state: AutomaticCertificate) throws(OpenrukoError) {
        try store.saveAutomaticCertificate(state)
    }

    /// Checks an issued chain and its key as an upload is checked, seals the key and stores
    /// both for the router, replacing the domain's previous automatic certificate.
    /// - Returns: the stored certificate, or nil when the app stopped wanting it meanwhile.
    /// - Throws: `invalid` when the chain is not usable (nothing is stored).
    package func storeAutomaticCertificate(
        _ state: AutomaticCertificate, chain: String, keyPEM: String, schedule: AutomaticCertificateSchedule, now: Date = Date()
    ) throws(OpenrukoError) -> AppCertificate? {
        let bundle = try CertificateBundle(chain: chain, key: keyPEM, now: now)
        guard bundle.names.contains(where: { CertificateBundle.name($0, covers: state.hostname) }) else {
            throw OpenrukoError(.invalid, "The issued certificate does not name \(state.hostname).")
        }
        let certificate = AppCertificate(
            id: UUID(), appID: state.appID, name: "acm-" + AppNameGenerator.random(), certificateChain: bundle.chainPEM,
            names: bundle.names, subject: bundle.subject, issuer: bundle.issuer, startsAt: bundle.startsAt, expiresAt: bundle.expiresAt,
            selfSigned: bundle.selfSigned, createdAt: now, updatedAt: now)
        let issued = schedule.issued(state, certificateID: certificate.id, expiresAt: bundle.expiresAt, now: now)
        guard try store.storeAutomaticCertificate(issued, certificate: certificate, sealedKey: try keySealer.seal(bundle.keyPEM)) else {
            return nil
        }
        return certificate
    }

    /// The ACME account key of this data directory (made on first use).
    package func acmeAccountKey() throws(OpenrukoError) -> ACMEAccountKey {
        try ACMEAccountKey.loadOrCreate(layout: layout)
    }
}
