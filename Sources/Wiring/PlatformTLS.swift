import Foundation
import Logging
import OpenrukoCore
import Operations
import Routing

/// The platform's own certificate for the router's TLS listener: the admin's files
/// (`--tls-cert`/`--tls-key`, checked like an upload), else the local certificate authority
/// of `DATA_DIR/tls` (`ca.crt`, `ca.key`; made at first start, kept across restarts, made
/// anew when `--domain` changes) and the certificates it issues.
struct PlatformTLS {
    let configuration: DaemonConfiguration
    let logger: Logger

    /// `DATA_DIR/tls`.
    var directory: String { configuration.layout.root + "/tls" }
    /// `DATA_DIR/tls/ca.crt`: what users trust (README).
    var authorityCertificate: String { directory + "/ca.crt" }
    var authorityKey: String { directory + "/ca.key" }

    /// What the TLS listener serves, plus the local authority when there is one (it renews
    /// the platform's certificate).
    /// - Throws: `OpenrukoError` when the admin's files are unusable or `DATA_DIR/tls` cannot be written.
    func load() throws(OpenrukoError) -> (TLSCertificates, LocalCertificateAuthority?) {
        if let certificateFile = configuration.tlsCertificateFile, let keyFile = configuration.tlsKeyFile {
            return (try adminCertificates(certificateFile, keyFile), nil)
        }
        let authority = try localAuthority()
        let domain = configuration.domain
        // `*.localhost` is refused by clients (a wildcard needs two labels after it): there each
        // APP.DOMAIN gets a certificate of its own on its first handshake.
        let issuesPerHost = !domain.contains(".")
        let issue: @Sendable (String) throws -> ServedCertificate = { host in
            Self.served(try authority.issue(hosts: [host]))
        }
        do {
            let platform = try Self.platformCertificate(authority, domain: domain)
            let certificates = try TLSCertificates(
                platform: platform, issuingDomain: issuesPerHost ? domain : nil, issuer: issuesPerHost ? issue : nil)
            return (certificates, authority)
        } catch {
            throw OpenrukoError(.unavailable, "The router's TLS listener cannot use the local certificate authority: \(error)")
        }
    }

    /// A certificate of `authority` for `*.DOMAIN` and `DOMAIN`.
    static func platformCertificate(_ authority: LocalCertificateAuthority, domain: String) throws -> ServedCertificate {
        try served(authority.issue(hosts: ["*.\(domain)", domain]))
    }

    private static func served(_ issued: (chain: String, key: String, expiresAt: Date)) -> ServedCertificate {
        ServedCertificate(chainPEM: issued.chain, keyPEM: issued.key, expiresAt: issued.expiresAt)
    }

    private func adminCertificates(_ certificateFile: String, _ keyFile: String) throws(OpenrukoError) -> TLSCertificates {
        guard let chain = try? String(contentsOfFile: certificateFile, encoding: .utf8) else {
            throw OpenrukoError(.unavailable, "Cannot read the certificate chain \(certificateFile) (--tls-cert).")
        }
        guard let key = try? String(contentsOfFile: keyFile, encoding: .utf8) else {
            throw OpenrukoError(.unavailable, "Cannot read the private key \(keyFile) (--tls-key).")
        }
        let bundle: CertificateBundle
        do {
            bundle = try CertificateBundle(chain: chain, key: key)
        } catch {
            throw OpenrukoError(.unavailable, "--tls-cert/--tls-key: \(error.message)")
        }
        let domain = configuration.domain
        let covers = bundle.names.contains { CertificateBundle.name($0, covers: "app.\(domain)") }
        if !covers {
            logger.warning("--tls-cert names \(bundle.names.joined(separator: ", ")), not *.\(domain): browsers will refuse APP.\(domain)")
        }
        do {
            return try TLSCertificates(platform: ServedCertificate(chainPEM: bundle.chainPEM, keyPEM: bundle.keyPEM, expiresAt: bundle.expiresAt))
        } catch {
            throw OpenrukoError(.unavailable, "--tls-cert/--tls-key cannot be served: \(error)")
        }
    }

    /// The authority in `DATA_DIR/tls`, made when missing or made for another domain.
    private func localAuthority() throws(OpenrukoError) -> LocalCertificateAuthority {
        let domain = configuration.domain
        if let certificate = try? String(contentsOfFile: authorityCertificate, encoding: .utf8),
            let key = try? String(contentsOfFile: authorityKey, encoding: .utf8)
        {
            if let authority = try? LocalCertificateAuthority(certificatePEM: certificate, keyPEM: key), authority.domain == domain,
                authority.expiresAt > Date().addingTimeInterval(30 * 86_400)
            {
                return authority
            }
            logger.notice("\(authorityCertificate) is not for \(domain) or expires soon: making a new local certificate authority")
        }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let authority = try LocalCertificateAuthority.create(domain: domain)
            // The key first and private; then the certificate, which users copy to trust it.
            try Self.replace(authorityKey, with: authority.keyPEM, mode: 0o600)
            try Self.replace(authorityCertificate, with: authority.certificatePEM, mode: 0o644)
            logger.info("made a local certificate authority for \(domain): trust \(authorityCertificate) (README, \"HTTPS\")")
            return authority
        } catch {
            throw OpenrukoError(.unavailable, "Cannot make the local certificate authority in \(directory): \(error)")
        }
    }

    /// Writes `text` to a new file beside `path` with `mode`, then renames it over `path`.
    private static func replace(_ path: String, with text: String, mode: Int) throws {
        let temporary = path + ".\(getpid()).tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8), attributes: [.posixPermissions: mode]) else {
            throw OpenrukoError(.unavailable, "Cannot write \(temporary).")
        }
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw OpenrukoError(.unavailable, "Cannot write \(path): \(String(cString: strerror(errno))).")
        }
    }
}
