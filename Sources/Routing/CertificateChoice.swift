/// Which certificate a TLS handshake gets for the name the client asked for (SNI): the
/// uploaded certificate of that custom domain, else one the platform's local authority issues
/// for `APP.DOMAIN` (when clients would refuse the wildcard), else the platform's own.
enum CertificateChoice: Equatable {
    /// The uploaded certificate for this (normalised) host.
    case uploaded(String)
    /// A certificate of the local authority for this (normalised) host.
    case issued(String)
    /// The listener's default: the platform's certificate.
    case platform

    /// - Parameters:
    ///   - serverName: the SNI name, if the client sent one.
    ///   - hasUploaded: whether the table holds a certificate for a (normalised) host.
    ///   - issuingDomain: the domain whose hosts get certificates of their own, if any.
    static func make(serverName: String?, hasUploaded: (String) -> Bool, issuingDomain: String?) -> CertificateChoice {
        guard let serverName, !serverName.isEmpty else { return .platform }
        var host = serverName.lowercased()
        if host.hasSuffix(".") { host.removeLast() }
        if hasUploaded(host) { return .uploaded(host) }
        guard let domain = issuingDomain else { return .platform }
        if host == domain { return .issued(host) }
        guard host.hasSuffix("." + domain) else { return .platform }
        let label = host.dropLast(domain.count + 1)
        let isOneLabel =
            !label.isEmpty && label.count <= 63 && !label.contains(".")
            && label.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }
        return isOneLabel ? .issued(host) : .platform
    }
}
