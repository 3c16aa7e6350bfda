import Foundation
package import OpenrukoCore
package import Operations

/// What a running daemon publishes in `DATA_DIR/daemon.json`: its bound addresses, so
/// `openruko admin` and the git hook can show the right URLs and reach it.
package struct DaemonInfo: Codable, Sendable, Hashable {
    package var ssh: String?
    package var api: String?
    package var router: String?
    /// The router's HTTPS listener.
    package var https: String?
    /// The rendezvous listener of attached one-off dynos (`heroku run`).
    package var rendezvous: String? = nil
    /// The API's TLS listener (`--api-tls-listen`), when configured.
    package var apiTLS: String?
    package var domain: String
    package var pid: Int32

    private enum CodingKeys: String, CodingKey {
        case ssh, api, router, https, apiTLS = "api-tls", rendezvous, domain, pid
    }

    package init(ssh: String?, api: String?, router: String?, https: String? = nil, apiTLS: String? = nil, domain: String, pid: Int32) {
        self.ssh = ssh
        self.api = api
        self.router = router
        self.https = https
        self.apiTLS = apiTLS
        self.domain = domain
        self.pid = pid
    }

    /// Reads `daemon.json` if a daemon wrote one and that process still exists.
    package static func read(_ layout: DataLayout) -> DaemonInfo? {
        guard let data = FileManager.default.contents(atPath: layout.daemonInfo),
            let info = try? JSONDecoder().decode(DaemonInfo.self, from: data), kill(info.pid, 0) == 0
        else { return nil }
        return info
    }

    /// Writes `daemon.json` atomically.
    package func write(_ layout: DataLayout) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try encoder.encode(self).write(to: URL(fileURLWithPath: layout.daemonInfo), options: .atomic)
    }

    /// The URLs users see, from the bound addresses (defaults when a listener is absent).
    package var publicURLs: PublicURLs {
        func port(_ address: String?, _ fallback: Int) -> Int {
            address.flatMap { try? ListenAddress(parsing: $0, option: "") }?.port ?? fallback
        }
        return PublicURLs(
            domain: domain, routerPort: port(router, 8080), httpsPort: https.map { port($0, 443) }, sshHost: domain,
            sshPort: port(ssh, 2222))
    }
}
