package import Foundation
package import OpenrukoCore
import Platform
import Routing
import ServiceLifecycle

extension Daemon {
    /// The TLS listener attached one-off dynos wait on (`--rendezvous-listen`). Its
    /// certificate: the admin's `--tls-cert`/`--tls-key` as they are, else one from the
    /// platform's local authority (`DATA_DIR/tls/ca.crt`, the one users already trust for
    /// the router) naming `localhost`, `DOMAIN` and `*.DOMAIN`, the hosts attach URLs use.
    func rendezvousServer(_ authority: LocalCertificateAuthority?, board: RendezvousBoard) throws(OpenrukoError) -> RendezvousServer {
        let listen = try configuration.rendezvousAddress()
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
        return RendezvousServer(listen: listen, certificate: certificate, board: board, registry: registry)
    }
}

extension DaemonConfiguration {
    /// `--rendezvous-listen`, else `OPENRUKO_RENDEZVOUS_LISTEN`, else `0.0.0.0:5001`.
    /// - Throws: `OpenrukoError.invalid` for a malformed address.
    package func rendezvousAddress(environment: [String: String] = ProcessInfo.processInfo.environment) throws(OpenrukoError)
        -> ListenAddress
    {
        if let rendezvousListen { return rendezvousListen }
        return try ListenAddress(parsing: environment["OPENRUKO_RENDEZVOUS_LISTEN"] ?? "0.0.0.0:5001", option: "--rendezvous-listen")
    }
}
