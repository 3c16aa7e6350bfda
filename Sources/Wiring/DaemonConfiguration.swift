import Foundation
package import OpenrukoCore

/// The daemon's settings: each from its flag, else `OPENRUKO_<NAME>`, else the default
/// (DESIGN.md §2.1).
package struct DaemonConfiguration: Sendable, Hashable {
    package var layout: DataLayout
    package var sshListen: ListenAddress
    package var apiListen: ListenAddress
    package var routerListen: ListenAddress
    /// `--router-tls-listen`: the router's HTTPS listener.
    package var routerTLSListen: ListenAddress
    /// `--api-tls-listen`: the API (and git's smart HTTP) over TLS; off unless given.
    package var apiTLSListen: ListenAddress?
    /// `--rendezvous-listen`: where `heroku run` clients attach (nil: `OPENRUKO_RENDEZVOUS_LISTEN`,
    /// else `0.0.0.0:5001`; see `rendezvousAddress`).
    package var rendezvousListen: ListenAddress? = nil
    /// `--tls-cert`/`--tls-key`: the platform's own `*.DOMAIN` certificate chain and key
    /// (PEM files); without them a local authority in `DATA_DIR/tls` makes one.
    package var tlsCertificateFile: String?
    package var tlsKeyFile: String?
    package var domain: String
    /// API requests per hour per user (`OPENRUKO_API_RATE_LIMIT`; Heroku's 4,500 by default).
    package var apiRateLimit: Int

    package init(
        layout: DataLayout, sshListen: ListenAddress, apiListen: ListenAddress, routerListen: ListenAddress, domain: String,
        apiRateLimit: Int = 4500, routerTLSListen: ListenAddress = ListenAddress(host: "0.0.0.0", port: 8443),
        tlsCertificateFile: String? = nil, tlsKeyFile: String? = nil, apiTLSListen: ListenAddress? = nil
    ) {
        self.apiTLSListen = apiTLSListen
        self.apiRateLimit = apiRateLimit
        self.routerTLSListen = routerTLSListen
        self.tlsCertificateFile = tlsCertificateFile
        self.tlsKeyFile = tlsKeyFile
        self.layout = layout
        self.sshListen = sshListen
        self.apiListen = apiListen
        self.routerListen = routerListen
        self.domain = domain
    }

    /// The data directory when neither `--data-dir` nor `OPENRUKO_DATA_DIR` is given:
    /// `/var/lib/openruko` for root, else `$XDG_DATA_HOME/openruko`, else `~/.local/share/openruko`.
    package static func defaultDataDir(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        // Root's home is private (0700), and sandboxes run as an unprivileged user that must
        // reach the data directory: a system daemon keeps its data under /var/lib.
        if geteuid() == 0 { return "/var/lib/openruko" }
        if let xdg = environment["XDG_DATA_HOME"], xdg.hasPrefix("/") { return xdg + "/openruko" }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return home + "/.local/share/openruko"
    }

    /// The data directory from a flag, the environment, or the default.
    package static func dataDir(flag: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> DataLayout {
        DataLayout(root: absolute(flag ?? environment["OPENRUKO_DATA_DIR"] ?? defaultDataDir(environment: environment)))
    }

    /// Resolves every setting from flags (nil when not given) and the environment.
    /// - Throws: `OpenrukoError.invalid` for malformed addresses or domains, or only one of
    ///   `--tls-cert` and `--tls-key`.
    package static func resolve(
        dataDir: String?, sshListen: String?, apiListen: String?, routerListen: String?, domain: String?,
        routerTLSListen: String? = nil, tlsCert: String? = nil, tlsKey: String? = nil, apiTLSListen: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(OpenrukoError) -> DaemonConfiguration {
        func pick(_ flag: String?, _ name: String, _ fallback: String) -> String {
            flag ?? environment["OPENRUKO_\(name)"] ?? fallback
        }
        let domain = pick(domain, "DOMAIN", "localhost").lowercased()
        guard !domain.isEmpty, !domain.contains(where: { $0.isWhitespace || $0 == "/" || $0 == ":" }) else {
            throw OpenrukoError(.invalid, "--domain must be a host name such as localhost or paas.example.com.")
        }
        let rateLimit = environment["OPENRUKO_API_RATE_LIMIT"] ?? "4500"
        guard let apiRateLimit = Int(rateLimit), apiRateLimit > 0 else {
            throw OpenrukoError(.invalid, "OPENRUKO_API_RATE_LIMIT must be a positive number of requests per hour, not \(rateLimit.debugDescription).")
        }
        let tlsCert = (tlsCert ?? environment["OPENRUKO_TLS_CERT"]).map(absolute)
        let tlsKey = (tlsKey ?? environment["OPENRUKO_TLS_KEY"]).map(absolute)
        guard (tlsCert == nil) == (tlsKey == nil) else {
            throw OpenrukoError(.invalid, "--tls-cert and --tls-key go together: give the certificate chain and its key, or neither.")
        }
        return DaemonConfiguration(
            layout: Self.dataDir(flag: dataDir, environment: environment),
            sshListen: try ListenAddress(parsing: pick(sshListen, "SSH_LISTEN", "0.0.0.0:2222"), option: "--ssh-listen"),
            apiListen: try ListenAddress(parsing: pick(apiListen, "API_LISTEN", "127.0.0.1:5000"), option: "--api-listen"),
            routerListen: try ListenAddress(parsing: pick(routerListen, "ROUTER_LISTEN", "0.0.0.0:8080"), option: "--router-listen"),
            domain: domain, apiRateLimit: apiRateLimit,
            routerTLSListen: try ListenAddress(
                parsing: pick(routerTLSListen, "ROUTER_TLS_LISTEN", "0.0.0.0:8443"), option: "--router-tls-listen"),
            tlsCertificateFile: tlsCert, tlsKeyFile: tlsKey,
            apiTLSListen: try (apiTLSListen ?? environment["OPENRUKO_API_TLS_LISTEN"]).map { text throws(OpenrukoError) in
                try ListenAddress(parsing: text, option: "--api-tls-listen")
            })
    }

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }
}
