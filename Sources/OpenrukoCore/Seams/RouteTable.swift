package import Foundation

/// A web dyno the router may send requests to.
package struct Backend: Hashable, Sendable {
    /// The dyno instance (a restart is a new instance).
    package var id: UUID
    /// `web.1`.
    package var dyno: String
    package var host: String
    package var port: Int

    package init(id: UUID, dyno: String, host: String, port: Int) {
        self.id = id
        self.dyno = dyno
        self.host = host
        self.port = port
    }
}

/// Where a request for one host goes right now.
package enum RouteTarget: Hashable, Sendable {
    /// Up web dynos, in round-robin order.
    case backends(app: String, appID: UUID, [Backend])
    /// Web dynos exist but are booting; the router may wait for them (bounded).
    case starting(app: String, appID: UUID)
    /// Web dynos exist and all have crashed (H10).
    case crashed(app: String, appID: UUID)
    /// The app runs no web dynos (H14).
    case noWebDynos(app: String, appID: UUID)
    /// The app is in maintenance mode (H80: the maintenance page, whatever its dynos do).
    case maintenance(app: String, appID: UUID)
    /// No app has this host (404).
    case unknownHost
}

/// The router's view of the world, kept current by the runtime. Read on every request, so
/// `target(forHost:)` must be cheap and must not block.
package protocol RouteTable: Sendable {
    /// The target for a `Host` header value (without port): `APP.DOMAIN` or a custom domain.
    func target(forHost host: String) -> RouteTarget
}

/// Lets the runtime retire a dyno without failing requests: the router stops choosing it
/// (the route table no longer lists it) and this waits until its in-flight requests finish.
package protocol TrafficDrain: Sendable {
    /// Returns when `backend` has no request in flight, or after `timeout`.
    func drain(_ backend: Backend, timeout: Duration) async
}
