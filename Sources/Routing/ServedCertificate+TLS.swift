package import NIOSSL

extension ServedCertificate {
    /// A server configuration serving this certificate with the router's TLS rules
    /// (`TLSSettings`): what the API's TLS listener (`--api-tls-listen`) speaks.
    /// - Throws: when the chain or key cannot be parsed.
    package func serverConfiguration() throws -> TLSConfiguration {
        let (chain, key) = try parsed()
        return TLSSettings.serverConfiguration(chain: chain, key: key)
    }
}
