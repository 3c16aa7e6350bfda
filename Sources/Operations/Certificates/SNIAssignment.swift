package import Foundation
package import OpenrukoCore

/// Which uploaded certificate the router serves for each custom domain: only a certificate
/// of the domain's own app (so no tenant can answer for another's domain), one naming the
/// domain exactly before a wildcard, then the one that expires last. Domains without one,
/// and every other name, get the platform's certificate.
package enum SNIAssignment {
    /// - Parameters:
    ///   - domains: every custom domain (lowercased) and the app it routes to.
    ///   - certificates: every uploaded certificate.
    ///   - now: certificates expired by then are skipped.
    /// - Returns: domain → the certificate to serve for it.
    package static func assign(domains: [String: UUID], certificates: [AppCertificate], now: Date = Date()) -> [String: AppCertificate] {
        let byApp = Dictionary(grouping: certificates.filter { $0.expiresAt > now }, by: \.appID)
        var result: [String: AppCertificate] = [:]
        for (host, appID) in domains {
            var best: (exact: Bool, certificate: AppCertificate)?
            for certificate in byApp[appID] ?? [] {
                let exact = certificate.names.contains(host)
                guard exact || certificate.names.contains(where: { CertificateBundle.name($0, covers: host) }) else { continue }
                if let current = best, !isBetter(exact, certificate, than: current.exact, current.certificate) { continue }
                best = (exact, certificate)
            }
            if let best { result[host] = best.certificate }
        }
        return result
    }

    private static func isBetter(_ exact: Bool, _ certificate: AppCertificate, than currentExact: Bool, _ current: AppCertificate) -> Bool {
        exact != currentExact ? exact : certificate.expiresAt > current.expiresAt
    }

    /// The custom domains of `domains` that `certificate` would be served for, sorted.
    package static func domains(_ domains: [String], coveredBy certificate: AppCertificate) -> [String] {
        domains.filter { host in certificate.names.contains { CertificateBundle.name($0, covers: host) } }.sorted()
    }
}
