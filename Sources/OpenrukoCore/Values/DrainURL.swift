import Foundation

/// A log drain's URL, checked: `syslog://HOST:PORT`, `syslog+tls://HOST:PORT`, `https://…`
/// (and `http://…`, for drains on a trusted network and for tests).
package struct DrainURL: Sendable, Hashable {
    /// How lines travel.
    package enum Kind: String, Sendable, Hashable {
        case syslog, syslogTLS = "syslog+tls", https, http

        /// Whether the transport is TLS.
        package var secure: Bool { self == .syslogTLS || self == .https }
        /// The port when the URL has none.
        package var defaultPort: Int {
            switch self {
            case .syslog: 514
            case .syslogTLS: 6514
            case .https: 443
            case .http: 80
            }
        }
    }

    package let kind: Kind
    package let host: String
    package let port: Int
    /// `/path?query` for HTTP drains (at least `/`).
    package let target: String
    /// `user:password` from the URL, sent as HTTP basic authentication.
    package let credentials: String?

    /// Parses and checks `text`.
    /// - Throws: `OpenrukoError.invalid` naming what is wrong.
    package init(parsing text: String) throws(OpenrukoError) {
        let usage = "Use syslog://HOST:PORT, syslog+tls://HOST:PORT or https://HOST/PATH."
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else {
            throw OpenrukoError(.invalid, "\(text.debugDescription) is not a drain URL. \(usage)", resource: "log_drain")
        }
        guard let kind = Kind(rawValue: scheme) else {
            throw OpenrukoError(
                .invalid, "\(text.debugDescription) has the scheme \(scheme.debugDescription), which openruko cannot drain to. \(usage)",
                resource: "log_drain")
        }
        guard var host = components.host, !host.isEmpty else {
            throw OpenrukoError(.invalid, "\(text.debugDescription) names no host. \(usage)", resource: "log_drain")
        }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if let port = components.port, !(1...65_535).contains(port) {
            throw OpenrukoError(.invalid, "\(text.debugDescription) has an invalid port.", resource: "log_drain")
        }
        if kind == .syslog || kind == .syslogTLS {
            guard components.path.isEmpty || components.path == "/", components.query == nil else {
                throw OpenrukoError(.invalid, "A syslog drain is HOST:PORT only; \(text.debugDescription) has a path.", resource: "log_drain")
            }
        }
        self.kind = kind
        self.host = host
        port = components.port ?? kind.defaultPort
        let path = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
        target = path + (components.percentEncodedQuery.map { "?" + $0 } ?? "")
        if let user = components.user {
            credentials = user + ":" + (components.password ?? "")
        } else {
            credentials = nil
        }
    }
}
