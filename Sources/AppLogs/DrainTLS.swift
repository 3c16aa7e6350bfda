import Foundation
import NIOCore
import NIOSSL
import OpenrukoCore

/// The TLS client settings of `syslog+tls://` and `https://` drains: the system's trusted
/// certificates, plus those of `OPENRUKO_DRAIN_CA_FILE` (a PEM file) for private CAs;
/// certificates and host names are always verified.
package struct DrainTLS: Sendable {
    let context: NIOSSLContext?
    let problem: String?

    /// - Parameter caFile: a PEM file of extra trusted certificates.
    package init(caFile: String? = ProcessInfo.processInfo.environment["OPENRUKO_DRAIN_CA_FILE"]) {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let caFile {
            do {
                let extra = try NIOSSLCertificate.fromPEMFile(caFile)
                configuration.trustRoots = .default
                configuration.additionalTrustRoots = [.certificates(extra)]
            } catch {
                context = nil
                problem = "Cannot read OPENRUKO_DRAIN_CA_FILE \(caFile): \(error)"
                return
            }
        }
        do {
            context = try NIOSSLContext(configuration: configuration)
            problem = nil
        } catch {
            context = nil
            problem = "TLS is not available: \(error)"
        }
    }

    /// Adds the TLS client handler for `host` to a new channel.
    func addHandler(to channel: any Channel, host: String) throws {
        guard let context else { throw DrainFailure(problem ?? "TLS is not available.") }
        let serverName = host.first?.isNumber == true || host.contains(":") ? nil : host
        try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: serverName))
    }
}

/// Why a drain session ended.
struct DrainFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
