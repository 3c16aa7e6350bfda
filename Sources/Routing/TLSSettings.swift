import NIOSSL

/// The TLS the router's HTTPS listener speaks: TLS 1.2 and 1.3 only; for 1.2 only forward-secret
/// AEAD suites (ECDHE with AES-GCM or ChaCha20-Poly1305, as Mozilla's "intermediate" profile);
/// TLS 1.3 suites are all AEAD already. The router offers HTTP/2 and HTTP/1.1 over ALPN (no
/// RFC 8441 WebSockets over HTTP/2: those stay on HTTP/1.1); the API's listener HTTP/1.1 only.
enum TLSSettings {
    /// The TLS 1.2 suites, in preference order (BoringSSL names).
    static let tls12CipherSuites = [
        "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
    ]

    /// ALPN protocols the router's listener offers, preferred first.
    static let routerApplicationProtocols = ["h2", "http/1.1"]

    /// A server configuration for `chain` and `key` with these rules.
    /// - Parameter applicationProtocols: offered over ALPN (HTTP/1.1 unless the listener speaks HTTP/2).
    static func serverConfiguration(
        chain: [NIOSSLCertificate], key: NIOSSLPrivateKey, applicationProtocols: [String] = ["http/1.1"]
    ) -> TLSConfiguration {
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        configuration.maximumTLSVersion = .tlsv13
        configuration.cipherSuites = tls12CipherSuites.joined(separator: ":")
        configuration.applicationProtocols = applicationProtocols
        return configuration
    }
}
