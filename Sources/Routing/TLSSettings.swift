import NIOSSL

/// The TLS the router's HTTPS listener speaks: TLS 1.2 and 1.3 only; for 1.2 only forward-secret
/// AEAD suites (ECDHE with AES-GCM or ChaCha20-Poly1305, as Mozilla's "intermediate" profile);
/// TLS 1.3 suites are all AEAD already. HTTP/1.1 announced over ALPN.
enum TLSSettings {
    /// The TLS 1.2 suites, in preference order (BoringSSL names).
    static let tls12CipherSuites = [
        "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
    ]

    /// ALPN protocols offered to clients.
    static let applicationProtocols = ["http/1.1"]

    /// A server configuration for `chain` and `key` with these rules.
    static func serverConfiguration(chain: [NIOSSLCertificate], key: NIOSSLPrivateKey) -> TLSConfiguration {
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        configuration.maximumTLSVersion = .tlsv13
        configuration.cipherSuites = tls12CipherSuites.joined(separator: ":")
        configuration.applicationProtocols = applicationProtocols
        return configuration
    }
}
