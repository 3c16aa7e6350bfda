package import Foundation

/// Which app a request's host names: a custom domain (`domains:add`), else `APP.DOMAIN`
/// (DESIGN §2.1). A value both route tables share: the daemon's store-backed one and the
/// runtime's.
package struct AppHosts: Sendable, Hashable {
    /// `--domain`: apps are `APP.DOMAIN`.
    package var domain: String
    /// App name → app id.
    package var apps: [String: UUID]
    /// Custom hostname → app name.
    package var customDomains: [String: String]

    package init(domain: String, apps: [String: UUID] = [:], customDomains: [String: String] = [:]) {
        self.domain = domain.lowercased()
        self.apps = apps
        self.customDomains = Dictionary(customDomains.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { a, _ in a })
    }

    /// The app for `host` (lowercase, without port), or nil when no app has it.
    package func app(forHost host: String) -> (name: String, id: UUID)? {
        if let name = customDomains[host], let id = apps[name] { return (name, id) }
        guard host.count > domain.count + 1, host.hasSuffix(domain), host.dropLast(domain.count).last == "." else { return nil }
        let name = String(host.dropLast(domain.count + 1))
        guard let id = apps[name] else { return nil }
        return (name, id)
    }
}
