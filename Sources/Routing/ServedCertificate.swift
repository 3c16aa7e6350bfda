package import Foundation
import NIOSSL

/// A certificate chain and key the TLS listener serves, as PEM text (parsed once, when the
/// listener's table takes it).
package struct ServedCertificate: Hashable, Sendable {
    /// PEM certificates, the server's own first.
    package var chainPEM: String
    /// The PEM private key.
    package var keyPEM: String
    /// When it stops being valid (the listener re-issues its own certificates before then).
    package var expiresAt: Date

    package init(chainPEM: String, keyPEM: String, expiresAt: Date = .distantFuture) {
        self.chainPEM = chainPEM
        self.keyPEM = keyPEM
        self.expiresAt = expiresAt
    }

    /// The chain and key as BoringSSL objects.
    /// - Throws: when the PEM cannot be read.
    func parsed() throws -> (chain: [NIOSSLCertificate], key: NIOSSLPrivateKey) {
        let chain = try NIOSSLCertificate.fromPEMBytes(Array(chainPEM.utf8))
        guard !chain.isEmpty else { throw NIOSSLError.failedToLoadCertificate }
        return (chain, try NIOSSLPrivateKey(bytes: Array(keyPEM.utf8), format: .pem))
    }

    /// What a handshake applies to serve this certificate instead of the default one.
    func override() throws -> NIOSSLContextConfigurationOverride {
        let (chain, key) = try parsed()
        var override = NIOSSLContextConfigurationOverride()
        override.certificateChain = chain.map { .certificate($0) }
        override.privateKey = .privateKey(key)
        return override
    }
}
