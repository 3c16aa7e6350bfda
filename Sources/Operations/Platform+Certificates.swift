package import Foundation
package import OpenrukoCore
import Store

// MARK: - Uploaded certificates (Heroku's SNI endpoints)

extension Platform {
    /// The sealer of certificate keys of this data directory.
    var keySealer: CertificateKeySealer { CertificateKeySealer(layout: layout) }

    /// The app's certificates, oldest first.
    package func certificates(_ name: String, as principal: Principal) throws(OpenrukoError) -> (App, [AppCertificate]) {
        let app = try self.app(name, as: principal)
        return (app, try store.certificates(appID: app.id))
    }

    /// One certificate of the app by name or id; with none given, the app's only one.
    /// - Throws: `notFound`, or `invalid` when no name was given and the app has several.
    package func certificate(_ name: String, named wanted: String?, as principal: Principal) throws(OpenrukoError) -> (
        App, AppCertificate
    ) {
        let (app, all) = try certificates(name, as: principal)
        guard let wanted else {
            guard all.count == 1 else {
                throw OpenrukoError(
                    all.isEmpty ? .notFound : .invalid,
                    all.isEmpty ? "\(app.name) has no certificates." : "\(app.name) has \(all.count) certificates; name one (see certs \(app.name)).",
                    resource: "sni_endpoint")
            }
            return (app, all[0])
        }
        guard let found = all.first(where: { $0.name == wanted || $0.id.uuidString.lowercased() == wanted.lowercased() }) else {
            throw OpenrukoError(.notFound, "Couldn't find that certificate.", resource: "sni_endpoint")
        }
        return (app, found)
    }

    /// Checks and stores a certificate for the app's custom domains.
    /// - Parameters:
    ///   - chain: PEM certificates, the app's own first (may also hold the key).
    ///   - key: the PEM private key, or nil when it is in `chain`.
    /// - Throws: `invalid` for any input `CertificateBundle` refuses, or a certificate that
    ///   names none of the app's custom domains; nothing is stored then.
    package func addCertificate(_ name: String, chain: String, key: String?, as principal: Principal) throws(OpenrukoError)
        -> AppCertificate
    {
        let app = try self.app(name, as: principal)
        let bundle = try checkedBundle(for: app, chain: chain, key: key)
        let sealed = try keySealer.seal(bundle.keyPEM)
        let now = Date()
        for attempt in 1...5 {
            let certificate = AppCertificate(
                id: UUID(), appID: app.id, name: AppNameGenerator.random(), certificateChain: bundle.chainPEM, names: bundle.names,
                subject: bundle.subject, issuer: bundle.issuer, startsAt: bundle.startsAt, expiresAt: bundle.expiresAt,
                selfSigned: bundle.selfSigned, createdAt: now, updatedAt: now)
            do {
                try store.addCertificate(certificate, sealedKey: sealed)
                let names = certificate.names.joined(separator: ", ")
                logAPI(app, "Add certificate \(certificate.name) for \(names) by user \((try? attribution(principal).email) ?? "admin")")
                return certificate
            } catch where error.kind == .conflict && attempt < 5 {
                continue  // the random name was taken
            }
        }
        throw OpenrukoError(.conflict, "No free certificate name was found; try again.", resource: "sni_endpoint")
    }

    /// Replaces a certificate's chain and key, keeping its name (Heroku's `certs:update`).
    package func updateCertificate(_ name: String, named wanted: String?, chain: String, key: String?, as principal: Principal)
        throws(OpenrukoError) -> AppCertificate
    {
        let (app, existing) = try certificate(name, named: wanted, as: principal)
        let bundle = try checkedBundle(for: app, chain: chain, key: key)
        var certificate = existing
        certificate.certificateChain = bundle.chainPEM
        certificate.names = bundle.names
        certificate.subject = bundle.subject
        certificate.issuer = bundle.issuer
        certificate.startsAt = bundle.startsAt
        certificate.expiresAt = bundle.expiresAt
        certificate.selfSigned = bundle.selfSigned
        certificate.updatedAt = max(Date(), existing.updatedAt.addingTimeInterval(0.001))
        try store.replaceCertificate(certificate, sealedKey: try keySealer.seal(bundle.keyPEM))
        logAPI(app, "Update certificate \(certificate.name) by user \((try? attribution(principal).email) ?? "admin")")
        return certificate
    }

    /// Removes a certificate; its domains get the platform's certificate again.
    package func removeCertificate(_ name: String, named wanted: String?, as principal: Principal) throws(OpenrukoError) -> AppCertificate {
        let (app, certificate) = try self.certificate(name, named: wanted, as: principal)
        try store.removeCertificate(appID: app.id, id: certificate.id)
        logAPI(app, "Remove certificate \(certificate.name) by user \((try? attribution(principal).email) ?? "admin")")
        return certificate
    }

    /// Which of the app's custom domains each of its certificates is served for, by hostname.
    package func servedDomains(of app: App, _ certificates: [AppCertificate]) throws(OpenrukoError) -> [UUID: [Domain]] {
        let domains = try store.domains(appID: app.id)
        let byHost = Dictionary(domains.map { ($0.hostname, $0) }, uniquingKeysWith: { a, _ in a })
        let assigned = SNIAssignment.assign(domains: byHost.mapValues { _ in app.id }, certificates: certificates)
        var result: [UUID: [Domain]] = [:]
        for (host, certificate) in assigned { result[certificate.id, default: []].append(byHost[host]!) }
        return result.mapValues { $0.sorted { $0.hostname < $1.hostname } }
    }

    /// For the router: each custom domain that has a certificate of its own app, and that certificate.
    package func sniAssignment(now: Date = Date()) throws(OpenrukoError) -> [String: AppCertificate] {
        let (certificates, domains) = try store.certificatesAndDomains()
        return SNIAssignment.assign(domains: domains, certificates: certificates, now: now)
    }

    /// For the router: changes whenever `sniAssignment` may have (certificates or domains changed).
    package func certificatesVersion() throws(OpenrukoError) -> String {
        try store.certificatesAndDomainsVersion()
    }

    /// For the router: the PEM private key of a stored certificate.
    package func privateKey(of certificate: AppCertificate) throws(OpenrukoError) -> String {
        try keySealer.open(try store.sealedCertificateKey(id: certificate.id))
    }

    private func checkedBundle(for app: App, chain: String, key: String?) throws(OpenrukoError) -> CertificateBundle {
        let bundle = try CertificateBundle(chain: chain, key: key)
        let domains = try store.domains(appID: app.id).map(\.hostname)
        let covered = domains.filter { host in bundle.names.contains { CertificateBundle.name($0, covers: host) } }
        guard !covered.isEmpty else {
            let names = bundle.names.joined(separator: ", ")
            let example = bundle.names[0].replacingOccurrences(of: "*.", with: "www.")
            throw OpenrukoError(
                .invalid,
                domains.isEmpty
                    ? "\(app.name) has no custom domains; add the certificate's domain first (domains:add \(app.name) \(example))."
                    : "The certificate's names (\(names)) cover none of \(app.name)'s domains (\(domains.joined(separator: ", "))).",
                resource: "sni_endpoint")
        }
        return bundle
    }
}
