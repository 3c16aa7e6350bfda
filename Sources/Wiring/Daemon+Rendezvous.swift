package import Foundation
import Logging
package import OpenrukoCore
import Operations
import Routing
import Runtime
import ServiceLifecycle

extension Daemon {
    /// The certificate of the TLS listener attached one-off dynos wait on
    /// (`--rendezvous-listen`): the admin's `--tls-cert`/`--tls-key` as they are, else one
    /// from the platform's local authority (`DATA_DIR/tls/ca.crt`, the one users already trust for
    /// the router) naming `localhost`, `DOMAIN` and `*.DOMAIN`, the hosts attach URLs use.
    func rendezvousCertificate(_ authority: LocalCertificateAuthority?) throws(OpenrukoError) -> ServedCertificate {
        let certificate: ServedCertificate
        if let authority {
            let domain = configuration.domain
            var hosts = ["localhost"]
            if domain != "localhost" { hosts += [domain, "*.\(domain)"] }
            do {
                let issued = try authority.issue(hosts: hosts)
                certificate = ServedCertificate(chainPEM: issued.chain, keyPEM: issued.key, expiresAt: issued.expiresAt)
            } catch {
                throw OpenrukoError(.unavailable, "Cannot issue the rendezvous listener's certificate: \(error)")
            }
        } else if let chainFile = configuration.tlsCertificateFile, let keyFile = configuration.tlsKeyFile,
            let chain = try? String(contentsOfFile: chainFile, encoding: .utf8), let key = try? String(contentsOfFile: keyFile, encoding: .utf8)
        {
            certificate = ServedCertificate(chainPEM: chain, keyPEM: key)
        } else {
            throw OpenrukoError(.unavailable, "The rendezvous listener has no certificate (--tls-cert/--tls-key are unreadable).")
        }
        return certificate
    }

    /// The rendezvous listener serving `certificate`.
    func rendezvousServer(_ certificate: ServedCertificate, board: RendezvousBoard) throws(OpenrukoError) -> RendezvousServer {
        let listen = try configuration.rendezvousAddress()
        return RendezvousServer(
            listen: listen, certificate: certificate, board: board, registry: registry, limits: try configuration.rendezvousLimits(),
            logger: logger)
    }

    /// The rendezvous listener as `openruko ssh-command` reaches it over the control socket
    /// (OpenSSH mode's one-offs): a wildcard address is reached on loopback.
    func rendezvousDoor(_ certificate: ServedCertificate, board: RendezvousBoard) throws(OpenrukoError) -> ControlServer.RendezvousDoor {
        var host = try configuration.rendezvousAddress().host
        if host.isEmpty || host == "0.0.0.0" { host = "127.0.0.1" }
        if host == "::" || host == "[::]" { host = "::1" }
        return ControlServer.RendezvousDoor(board: board, host: host, certificate: certificate.chainPEM)
    }
}

extension DaemonConfiguration {
    /// The rendezvous listener's cap on connections still to send their secret: sized from the
    /// descriptor limit, or `OPENRUKO_RENDEZVOUS_PENDING` (in all; a quarter per source address).
    /// - Throws: `OpenrukoError.invalid` for a malformed number.
    func rendezvousLimits(environment: [String: String] = ProcessInfo.processInfo.environment) throws(OpenrukoError)
        -> RendezvousServer.Limits
    {
        guard let text = environment["OPENRUKO_RENDEZVOUS_PENDING"] else { return .sized(forDescriptors: ConnectionBudget.descriptorLimit) }
        guard let pending = Int(text), pending > 0 else {
            throw OpenrukoError(.invalid, "OPENRUKO_RENDEZVOUS_PENDING must be a positive number, not \(text.debugDescription).")
        }
        return RendezvousServer.Limits(pending: pending, pendingPerSource: max(1, pending / 4))
    }

    /// `--rendezvous-listen`, else `OPENRUKO_RENDEZVOUS_LISTEN`, else `0.0.0.0:5001`.
    /// - Throws: `OpenrukoError.invalid` for a malformed address.
    package func rendezvousAddress(environment: [String: String] = ProcessInfo.processInfo.environment) throws(OpenrukoError)
        -> ListenAddress
    {
        if let rendezvousListen { return rendezvousListen }
        return try ListenAddress(parsing: environment["OPENRUKO_RENDEZVOUS_LISTEN"] ?? "0.0.0.0:5001", option: "--rendezvous-listen")
    }
}
