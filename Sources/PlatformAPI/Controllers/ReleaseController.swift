import Foundation
import HTTPTypes
import Hummingbird
import OpenrukoCore
import Operations

/// Releases: `GET /apps/{app}/releases` (ranged by version, read page by page from the
/// store), `GET …/releases/{version or id}`, `POST …/releases` with `{slug}` (deploy) or
/// `{release}` (rollback to that release).
struct ReleaseController {
    let environment: APIEnvironment

    struct CreateBody: Decodable {
        var slug: String?
        var release: String?
        var description: String?
    }

    static let pager = Pager<Release>([("version", { .integer($0.version) }), ("id", { .text($0.id.wire) })])

    func register(on router: Router<APIContext>) {
        router.get("/apps/:app/releases") { request, context in
            try list(request, context)
        }
        router.get("/apps/:app/releases/:release") { request, context in
            let (app, release) = try environment.platform.release(
                try context.parameter("app"), try context.parameter("release"), as: try context.principal())
            return try JSONResponse.make(ReleaseResource(release, app: app), for: request)
        }
        router.post("/apps/:app/releases") { request, context in
            let principal = try context.principal()
            let name = try context.parameter("app")
            let body = try await request.json(CreateBody.self, context: context)
            let release: Release
            switch (body.slug, body.release) {
            case (let slug?, nil):
                release = try await environment.platform.release(name, slug: slug, description: body.description, as: principal)
            case (nil, let target?):
                let (_, old) = try environment.platform.release(name, target, as: principal)
                release = try await environment.platform.rollback(name, to: old.version, as: principal)
            default:
                throw OpenrukoError(.invalid, "Give either slug (to release a slug) or release (to roll back to it).", resource: "release")
            }
            let app = try environment.platform.app(name, as: principal)
            return try JSONResponse.make(ReleaseResource(release, app: app), status: .created, for: request)
        }
    }

    /// Lists are answered from `ResponseCache` while the app's release revision is unchanged
    /// (`heroku releases` and scripts poll them); the version field is paged in the store (an
    /// app may have thousands of releases), other fields sort in memory.
    private func list(_ request: Request, _ context: APIContext) throws -> Response {
        let principal = try context.principal()
        let app = try environment.platform.app(try context.parameter("app"), as: principal)
        let key = "releases|\(app.id.wire)|\(try environment.platform.releaseListRevision(app))|\(request.headers[.range] ?? "")"
        if let cached = environment.responses.get(key) {
            var headers = HTTPFields()
            for (name, value) in cached.headers { if let field = HTTPField.Name(name) { headers[field] = value } }
            return JSONResponse.make(
                data: cached.body, etag: cached.etag, status: cached.isPartial ? .partialContent : .ok, headers: headers, for: request)
        }
        let page = try self.page(app, request, principal)
        let body = try JSONResponse.encode(page.items.map { ReleaseResource($0, app: app) })
        let etag = "\"" + JSONResponse.etagDigest(body) + "\""
        environment.responses.put(
            key, .init(body: body, etag: etag, headers: page.headers.map { ($0.name.rawName, $0.value) }, isPartial: page.isPartial))
        return JSONResponse.make(data: body, etag: etag, status: page.status, headers: page.headers, for: request)
    }

    private func page(_ app: App, _ request: Request, _ principal: Principal) throws -> Page<Release> {
        let name = app.id.wire
        let range = try ListRange(parsing: request.headers[.range])
        guard Self.pager.field(for: range).name == "version" else {
            let (_, releases) = try environment.platform.releases(name, as: principal)
            return try Self.pager.page(releases, range: range)
        }
        let honoured = range.field == "version"
        func bound(_ text: String?) throws(APIError) -> Int? {
            guard honoured, let text else { return nil }
            guard let value = Int(text) else { throw Pager<Release>.badBound(text, "version") }
            return value
        }
        var after = try bound(range.start)
        if let start = after, !range.startExclusive { after = range.descending ? start + 1 : start - 1 }
        let (_, releases) = try environment.platform.releases(
            name, after: after, through: try bound(range.end), descending: range.descending, limit: range.pageSize + 1, as: principal)
        let items = Array(releases.prefix(range.pageSize))
        return Pager<Release>.describe(
            items, keys: items.map { .integer($0.version) }, more: releases.count > range.pageSize, field: "version", range: range,
            acceptRanges: Self.pager.fields.map(\.name))
    }
}
