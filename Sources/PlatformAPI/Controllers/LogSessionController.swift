import Foundation
import HTTPTypes
import Hummingbird
import OpenrukoCore
import Platform

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
            let (app, drains) = try environment.platform.drains(try context.parameter("app"), as: try context.principal())
            let wanted = Self.identifier(request, app: try context.parameter("app"))
            guard let drain = drains.first(where: { $0.url == wanted || $0.token == wanted || $0.id.wire == wanted.lowercased() }) else {
                throw OpenrukoError(.notFound, "Couldn't find that log drain.", resource: "log_drain")
            }
            return try JSONResponse.make(LogDrainResource(drain, app: app), for: request)
        }
        router.delete("/apps/:app/log-drains/**") { request, context in
            let principal = try context.principal()
            let name = try context.parameter("app")
            let app = try environment.platform.app(name, as: principal)
            let drain = try environment.platform.removeDrain(name, url: Self.identifier(request, app: name), as: principal)
            return try JSONResponse.make(LogDrainResource(drain, app: app), for: request)
        }
    }

    /// Everything after `/log-drains/` (drain URLs contain slashes), percent-decoded.
    static func identifier(_ request: Request, app: String) -> String {
        let path = request.uri.path
        guard let marker = path.range(of: "/log-drains/") else { return "" }
        let raw = String(path[marker.upperBound...])
        return raw.removingPercentEncoding ?? raw
    }
}

/// What the heroku CLI asks for and openruko does not have: add-ons (`[]`), SNI endpoints
/// (`[]`), pipeline couplings (404, as the CLI expects when there is none).
struct StubController {
    let environment: APIEnvironment

    func register(on router: Router<APIContext>) {
        router.get("/apps/:app/addons") { request, context in
            _ = try environment.platform.app(try context.parameter("app"), as: try context.principal())
            return JSONResponse.make(data: Data("[]".utf8), for: request)
        }
        router.get("/addons") { request, context in
            _ = try context.principal()
            return JSONResponse.make(data: Data("[]".utf8), for: request)
        }
        router.get("/apps/:app/sni-endpoints") { request, context in
            _ = try environment.platform.app(try context.parameter("app"), as: try context.principal())
            return JSONResponse.make(data: Data("[]".utf8), for: request)
        }
        router.get("/apps/:app/pipeline-couplings") { _, context -> Response in
            _ = try environment.platform.app(try context.parameter("app"), as: try context.principal())
            throw OpenrukoError(.notFound, "Couldn't find that pipeline coupling.", resource: "pipeline_coupling")
        }
    }
}
