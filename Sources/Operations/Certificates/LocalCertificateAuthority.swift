import Crypto
package import Foundation
import OpenrukoCore
import SwiftASN1
import X509

/// The platform's own certificates when the admin gives none (`--tls-cert`/`--tls-key`): a
/// certificate authority made at first start (`DATA_DIR/tls/ca.crt`, the file users trust),
/// allowed by its name constraints to vouch for `DOMAIN` and its subdomains only, that issues
/// the router's server certificates: `*.DOMAIN` + `DOMAIN`, and `APP.DOMAIN` one by one where
/// clients accept no wildcard (under a one-label domain such as `localhost`).
///
/// ```swift
/// let ca = try LocalCertificateAuthority.create(domain: "localhost")
/// let served = try ca.issue(hosts: ["web1.localhost"])   // PEM chain and key
/// ```
package struct LocalCertificateAuthority: Sendable {
    /// The authority's certificate, PEM.
    package let certificatePEM: String
    /// The authority's private key, PEM (PKCS #8).
    package let keyPEM: String
    private let certificate: Certificate
    private let key: Certificate.PrivateKey

    /// How long issued server certificates last (what browsers accept at most, 398 days).
    package static let serverValidity: TimeInterval = 397 * 86_400

    /// A new authority for `domain`, valid ten years.
    package static func create(domain: String, now: Date = Date()) throws -> LocalCertificateAuthority {
        let signingKey = P256.Signing.PrivateKey()
        let key = Certificate.PrivateKey(signingKey)
        let name = try DistinguishedName {
            OrganizationName("openruko")
            CommonName("openruko local CA for \(domain)")
        }
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
            Critical(KeyUsage(digitalSignature: true, keyCertSign: true, cRLSign: true))
            Critical(NameConstraints(permittedDNSDomains: [domain]))
            SubjectKeyIdentifier(hash: key.publicKey)
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: key.publicKey,
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(10 * 365 * 86_400),
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions, issuerPrivateKey: key)
        return try LocalCertificateAuthority(certificatePEM: certificate.serializeAsPEM().pemString, keyPEM: signingKey.pemRepresentation)
    }

    /// The authority kept in `ca.crt` and `ca.key`.
    /// - Throws: when they cannot be read or do not belong together.
    package init(certificatePEM: String, keyPEM: String) throws {
        certificate = try Certificate(pemEncoded: certificatePEM)
        key = try Certificate.PrivateKey(pemEncoded: keyPEM)
        guard certificate.publicKey == key.publicKey else {
            throw OpenrukoError(.unavailable, "The key of the local certificate authority does not match its certificate.")
        }
        self.certificatePEM = certificatePEM
        self.keyPEM = keyPEM
    }

    /// When the authority's own certificate stops being valid.
    package var expiresAt: Date { certificate.notValidAfter }

    /// The domain its name constraints allow (nil for an authority without them).
    package var domain: String? {
        guard let constraints = try? certificate.extensions.nameConstraints else { return nil }
        for case .dnsName(let name) in constraints.permittedSubtrees { return name }
        return nil
    }

    /// A server certificate for `hosts` (the first is its common name) and its new key.
    /// - Returns: the PEM chain (the server certificate, then the authority's) and the PEM key.
    package func issue(hosts: [String], now: Date = Date()) throws -> (chain: String, key: String, expiresAt: Date) {
        let signingKey = P256.Signing.PrivateKey()
        let serverKey = Certificate.PrivateKey(signingKey)
        let subject = try DistinguishedName {
            OrganizationName("openruko")
            CommonName(hosts.first ?? "openruko")
        }
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.notCertificateAuthority)
            Critical(KeyUsage(digitalSignature: true))
            try ExtendedKeyUsage([.serverAuth])
            SubjectAlternativeNames(hosts.map { .dnsName($0) })
            AuthorityKeyIdentifier(keyIdentifier: try? certificate.extensions.subjectKeyIdentifier?.keyIdentifier)
        }
        let expiry = min(now.addingTimeInterval(Self.serverValidity), certificate.notValidAfter)
        let server = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: serverKey.publicKey,
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: expiry, issuer: certificate.subject,
            subject: subject, signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions, issuerPrivateKey: key)
        return (try server.serializeAsPEM().pemString + "\n" + certificatePEM, signingKey.pemRepresentation, expiry)
    }
}
