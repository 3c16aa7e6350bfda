import Foundation
import HTTPTypes
import Hummingbird
import OpenrukoCore
import Operations

/// What every controller works with: the operations layer, the optional seams of parts that
/// may not run in this process (builder, log store), and the API's own state.
struct APIEnvironment: Sendable {
    let platform: Platform
    /// The builder; nil answers builds from source with a clear 503.
    let builds: (any BuildService)?
    /// The log store; nil answers log sessions with a clear 503.
    let logs: (any LogReader)?
    /// Signs capability URLs.
    let capabilities: CapabilityKey
    let rateLimiter: RateLimiter
    /// E-mail and password logins: throttled, and checked off the request threads.
    let passwordLogin: PasswordLogin
    /// Encoded release lists, valid while their app's release revision is unchanged.
    let responses = ResponseCache()
    /// How often a tailing log stream sends an SSE comment so idle streams stay open.
    let heartbeat: Duration
    /// git's smart HTTP (`/APP.git/…`); nil answers git with a clear 503.
    var git: GitHTTPSettings? = nil
    /// `https` on the TLS listener, so capability URLs point back at it.
    var scheme = "http"
    /// Where attached one-off dynos wait for their client (`rendezvous://…` attach URLs).
    var rendezvous: RendezvousBoard? = nil

    /// `DATA_DIR/run/sources`: uploaded source tarballs.
    var sourcesDirectory: String { platform.layout.run + "/sources" }

    /// The path of an uploaded source.
    func sourcePath(_ id: UUID) -> String { sourcesDirectory + "/\(id.wire).tar.gz" }

    /// `http://HOST:PORT` as the client addressed this server (capability URLs use it, so
    /// they work through tunnels).
    func baseURL(_ request: Request) -> String {
        let host = request.head.authority ?? "localhost"
        return "\(scheme)://\(host)"
    }

    /// A capability URL under `path` (`/streams/logs`…) for `grant`.
    func capabilityURL(_ request: Request, _ path: String, _ grant: Grant) -> String {
        baseURL(request) + path + "/" + capabilities.seal(grant)
    }

    /// Opens a capability token of `kind`, checking expiry and that its user still has access.
    /// - Returns: the grant, its principal, and the app when the grant names one.
    /// - Throws: 404 for anything invalid (a capability URL reveals nothing).
    func redeem(_ token: String, kind: Grant.Kind) throws(OpenrukoError) -> (Grant, Principal, App?) {
        let gone = OpenrukoError(.notFound, "This URL is invalid or has expired.", resource: "capability")
        guard let grant = capabilities.open(token, as: Grant.self), grant.kind == kind, !grant.isExpired,
            let principal = try platform.principal(userID: grant.user)
        else { throw gone }
        guard let appID = grant.app else { return (grant, principal, nil) }
        do {
            return (grant, principal, try platform.app(appID.wire, as: principal))
        } catch {
            throw gone
        }
    }
}
