import Foundation
import HTTPTypes
import Hummingbird
import OpenrukoCore
import Platform

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

    /// The version field is paged in the store (an app may have thousands of releases);
    /// other fields sort in memory.
    private func list(_ request: Request, _ context: APIContext) throws -> Response {
        let principal = try context.principal()
        let name = try context.parameter("app")
        let range = try ListRange(parsing: request.headers[.range])
        guard Self.pager.field(for: range).name == "version" else {
            let (app, releases) = try environment.platform.releases(name, as: principal)
            let page = try Self.pager.page(releases, range: range)
            return try JSONResponse.make(
                page.items.map { ReleaseResource($0, app: app) }, status: page.status, headers: page.headers, for: request)
        }
        let honoured = range.field == "version"
        func bound(_ text: String?) throws(APIError) -> Int? {
            guard honoured, let text else { return nil }
            guard let value = Int(text) else { throw Pager<Release>.badBound(text, "version") }
            return value
        }
        var after = try bound(range.start)
        if let start = after, !range.startExclusive { after = range.descending ? start + 1 : start - 1 }
        let (app, releases) = try environment.platform.releases(
            name, after: after, through: try bound(range.end), descending: range.descending, limit: range.pageSize + 1, as: principal)
        let items = Array(releases.prefix(range.pageSize))
        let page = Pager<Release>.describe(
            items, keys: items.map { .integer($0.version) }, more: releases.count > range.pageSize, field: "version", range: range,
            acceptRanges: Self.pager.fields.map(\.name))
        return try JSONResponse.make(
            page.items.map { ReleaseResource($0, app: app) }, status: page.status, headers: page.headers, for: request)
    }
}
