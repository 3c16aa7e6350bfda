import Foundation
import HTTPTypes
import Hummingbird
import OpenrukoCore
import Operations

/// Logs: `POST /apps/{app}/log-sessions` (`{lines, tail, dyno|dyno_name|type, source}`) answers
/// a `logplex_url` capability; `GET /streams/logs/{token}` streams it, as Server-Sent Events
/// when asked with `Accept: text/event-stream` (heroku CLI), plain lines otherwise (heroku3).
struct LogSessionController {
    let environment: APIEnvironment

    struct CreateBody: Decodable {
        var lines: Int?
        var tail: Bool?
        var dyno: String?
        var dyno_name: String?
        var type: String?
        var source: String?
    }

    /// How long a session URL stays valid (tailing clients reconnect to the same URL).
    static let lifetime = 24 * 3600

    func register(on router: Router<APIContext>) {
        router.post("/apps/:app/log-sessions") { request, context in
            let user = try context.user()
            let body = try await request.json(CreateBody.self, context: context)
            let query = LogQuery(
                lines: body.lines ?? 100, tail: body.tail ?? false, dyno: body.dyno_name ?? body.dyno ?? body.type,
                source: body.source)
            let app = try environment.platform.logSession(try context.parameter("app"), query: query, as: .user(user))
            guard environment.logs != nil else {
                throw OpenrukoError(.unavailable, "Logs are not available yet: this openruko has no log store running.", resource: "log_session")
            }
            let grant = Grant(
                kind: .logs, user: user.id, app: app.id, expires: Grant.expiry(in: Self.lifetime), lines: query.lines, tail: query.tail,
                dyno: query.dyno, source: query.source)
            let now = Date().wire
            let session = LogSessionResource(
                created_at: now, id: UUID().wire, logplex_url: environment.capabilityURL(request, "/streams/logs", grant), updated_at: now)
            return try JSONResponse.make(session, status: .created, for: request)
        }
        router.get("/streams/logs/:token") { request, context in
            let (grant, _, app) = try environment.redeem(try context.parameter("token"), kind: .logs)
            guard let app else { throw OpenrukoError(.notFound, "This URL is invalid or has expired.") }
            guard let reader = environment.logs else {
                throw OpenrukoError(.unavailable, "Logs are not available yet: this openruko has no log store running.", resource: "log_session")
            }
            let query = LogQuery(lines: grant.lines ?? 100, tail: grant.tail ?? false, dyno: grant.dyno, source: grant.source)
            return TextStream.response(
                reader.read(app: app, query: query), events: TextStream.wantsEvents(request), tail: query.tail,
                heartbeat: environment.heartbeat)
        }
    }
}

/// `GET/POST /apps/{app}/log-drains`, `GET/DELETE /apps/{app}/log-drains/{url, token or id}`.
struct LogDrainController {
    let environment: APIEnvironment

    struct CreateBody: Decodable {
        var url: String
    }

    func register(on router: Router<APIContext>) {
        router.get("/apps/:app/log-drains") { request, context in
            let (app, drains) = try environment.platform.drains(try context.parameter("app"), as: try context.principal())
            return try JSONResponse.make(drains.map { LogDrainResource($0, app: app) }, for: request)
        }
        router.post("/apps/:app/log-drains") { request, context in
            let principal = try context.principal()
            let name = try context.parameter("app")
            let app = try environment.platform.app(name, as: principal)
            let body = try await request.json(CreateBody.self, context: context)
            let drain = try environment.platform.addDrain(name, url: body.url, as: principal)
            return try JSONResponse.make(LogDrainResource(drain, app: app), status: .created, for: request)
        }
        router.get("/apps/:app/log-drains/**") { request, context in
            let (app, drain) = try find(request, context)
            return try JSONResponse.make(LogDrainResource(drain, app: app), for: request)
        }
        router.delete("/apps/:app/log-drains/**") { request, context in
            let (app, drain) = try find(request, context)
            let removed = try environment.platform.removeDrain(app.id.wire, url: drain.id.wire, as: try context.principal())
            return try JSONResponse.make(LogDrainResource(removed, app: app), for: request)
        }
    }

    /// The drain named by everything after `/log-drains/`: its URL (clients send it
    /// unencoded, and paths have `//` collapsed, so URLs compare collapsed), token or id.
    private func find(_ request: Request, _ context: APIContext) throws(OpenrukoError) -> (App, LogDrain) {
        let (app, drains) = try environment.platform.drains(try context.parameter("app"), as: try context.principal())
        let path = request.uri.path
        let raw = path.range(of: "/log-drains/").map { String(path[$0.upperBound...]) } ?? ""
        let wanted = raw.removingPercentEncoding ?? raw
        let collapsed = Self.collapse(wanted)
        guard
            let drain = drains.first(where: {
                Self.collapse($0.url) == collapsed || $0.token == wanted || $0.id.wire == wanted.lowercased()
            })
        else {
            throw OpenrukoError(.notFound, "Couldn't find that log drain.", resource: "log_drain")
        }
        return (app, drain)
    }

    static func collapse(_ text: String) -> String {
        var text = text
        while text.contains("//") { text = text.replacingOccurrences(of: "//", with: "/") }
        return text
    }
}

/// What the heroku CLI asks for and openruko does not have: pipeline couplings (404, as the
/// CLI expects when there is none). Add-ons: `AddonController`.
struct StubController {
    let environment: APIEnvironment

    func register(on router: Router<APIContext>) {
        router.get("/apps/:app/pipeline-couplings") { _, context -> Response in
            _ = try environment.platform.app(try context.parameter("app"), as: try context.principal())
            throw OpenrukoError(.notFound, "Couldn't find that pipeline coupling.", resource: "pipeline_coupling")
        }
    }
}
