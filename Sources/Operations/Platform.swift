import Foundation
import Synchronization
package import OpenrukoCore
package import Store

/// The operations layer: every use case of openruko with its authorization, in one place.
/// The SSH commands, the HTTP API, `openruko admin` and the git hook are thin adapters
/// over it; they never touch the store directly.
///
/// ```swift
/// let platform = Platform(store: store, layout: layout, repositories: repos)
/// let app = try platform.createApp(name: "web1", owner: nil, as: .user(alice))
/// ```
package struct Platform: Sendable {
    /// The database facade.
    package let store: PlatformStore
    /// Paths under `DATA_DIR`.
    package let layout: DataLayout
    /// App repositories.
    package let repositories: any RepositoryStore
    /// Running dynos (the daemon's supervisor, or a client of it).
    package let runtime: any RuntimeControl
    /// Release phase runner.
    package let releasePhase: any ReleasePhaseRunner
    /// Where `app[api]` lines go.
    package let logs: any LogSink
    /// Creates and drops add-on databases.
    package let databases: any DatabaseProvisioner
    /// Creates and drops add-on Redis servers.
    package let redis: any DatabaseProvisioner
    /// URLs shown to users; the daemon updates them once its listeners are bound.
    package let urlSource: PublicURLSource
    /// URLs shown to users.
    package var urls: PublicURLs { urlSource.current }
    /// API tokens verified recently (`authenticate(token:)`), emptied by any revocation.
    package let tokenCache: TokenCache

    package init(
        store: PlatformStore, layout: DataLayout, repositories: any RepositoryStore,
        runtime: any RuntimeControl = DetachedRuntime(), releasePhase: any ReleasePhaseRunner = UnavailableReleasePhase(),
        logs: any LogSink = DiscardingLogSink(), urls: PublicURLSource = PublicURLSource(),
        databases: any DatabaseProvisioner = UnavailableDatabaseProvisioner(),
        redis: any DatabaseProvisioner = UnavailableDatabaseProvisioner()
    ) {
        self.store = store
        self.layout = layout
        self.repositories = repositories
        self.runtime = runtime
        self.releasePhase = releasePhase
        self.logs = logs
        self.urlSource = urls
        self.databases = databases
        self.redis = redis
        tokenCache = TokenCache(stampPath: layout.run + "/credentials.stamp")
    }

    /// Writes one `app[api]` line to the app's log.
    func logAPI(_ app: App, _ message: String) {
        logs.emit(LogLine(appID: app.id, source: "app", process: "api", message: message))
    }
}

/// The addresses users see: the router URL of an app and its git remote.
package struct PublicURLs: Sendable, Hashable {
    /// `--domain` (apps are `APP.DOMAIN`).
    package var domain: String
    /// The router's public port (omitted from URLs when 80).
    package var routerPort: Int
    /// The router's HTTPS port (omitted from URLs when 443); nil when it has no TLS listener.
    package var httpsPort: Int?
    /// Host name used in git URLs.
    package var sshHost: String
    /// The embedded SSH server's port.
    package var sshPort: Int

    package init(
        domain: String = "localhost", routerPort: Int = 8080, httpsPort: Int? = nil, sshHost: String = "localhost", sshPort: Int = 2222
    ) {
        self.domain = domain
        self.routerPort = routerPort
        self.httpsPort = httpsPort
        self.sshHost = sshHost
        self.sshPort = sshPort
    }

    /// The app's URL, as Heroku's `web_url`: `https://APP.DOMAIN:PORT/` when the router serves
    /// HTTPS, else `http://APP.DOMAIN:PORT/` (the port omitted when it is the scheme's own).
    package func webURL(_ app: String) -> String {
        if let httpsPort {
            return httpsPort == 443 ? "https://\(app).\(domain)/" : "https://\(app).\(domain):\(httpsPort)/"
        }
        return routerPort == 80 ? "http://\(app).\(domain)/" : "http://\(app).\(domain):\(routerPort)/"
    }

    /// `ssh://git@HOST:PORT/APP.git`.
    package func gitURL(_ app: String) -> String {
        sshPort == 22 ? "ssh://git@\(sshHost)/\(app).git" : "ssh://git@\(sshHost):\(sshPort)/\(app).git"
    }
}

/// Holds the current `PublicURLs`; shared by every copy of a `Platform`.
package final class PublicURLSource: Sendable {
    private let value: Mutex<PublicURLs>

    package init(_ urls: PublicURLs = PublicURLs()) {
        value = Mutex(urls)
    }

    /// The URLs now.
    package var current: PublicURLs { value.withLock { $0 } }

    /// Replaces the URLs (when the daemon knows its bound ports).
    package func update(_ urls: PublicURLs) { value.withLock { $0 = urls } }
}

/// The release-phase runner of a process without a runtime: a release that needs one fails
/// with a message saying so.
package struct UnavailableReleasePhase: ReleasePhaseRunner {
    package init() {}
    package func runReleasePhase(
        app: App, release: Release, slug: Slug, command: String, output: @escaping @Sendable (String) -> Void
    ) async -> Bool {
        output("The release phase cannot run here: the dyno runtime is not available.")
        return false
    }
}
