import Foundation
import HTTPTypes
import Hummingbird
import OpenrukoCore
import Operations

/// Builds: `GET /apps/{app}/builds[/{id}]`, `POST /apps/{app}/builds` from a source uploaded
/// with `POST /sources`, and the `output_stream_url` capability (`GET /streams/builds/{token}`:
/// plain text, live from the builder when it runs, else the stored output).
struct BuildController {
    let environment: APIEnvironment

    struct SourceBlob: Decodable {
        var url: String
        var checksum: String?
        var version: String?
    }

    struct Buildpack: Decodable {
        var url: String?
        var name: String?
    }

    struct CreateBody: Decodable {
        var source_blob: SourceBlob
        var buildpacks: [Buildpack]?
    }

    static let pager = Pager<Build>([
        ("created_at", { .text($0.createdAt.wire) }), ("id", { .text($0.id.wire) }), ("started_at", { .text($0.createdAt.wire) }),
    ])

    /// How long a build's output URL stays valid.
    static let outputLifetime = 30 * 24 * 3600

    func register(on router: Router<APIContext>) {
        router.get("/apps/:app/builds") { request, context in
            let principal = try context.principal()
            let (app, builds) = try environment.platform.builds(try context.parameter("app"), as: principal)
            let page = try Self.pager.page(builds, range: try ListRange(parsing: request.headers[.range]))
            return try JSONResponse.make(
                page.items.map { resource($0, app, principal, request) }, status: page.status, headers: page.headers, for: request)
        }
        router.get("/apps/:app/builds/:build") { request, context in
            let principal = try context.principal()
            let (app, build) = try environment.platform.build(try context.parameter("app"), try context.parameter("build"), as: principal)
            return try JSONResponse.make(resource(build, app, principal, request), for: request)
        }
        router.post("/apps/:app/builds") { request, context in
            let principal = try context.principal()
            let name = try context.parameter("app")
            let app = try environment.platform.app(name, as: principal)
            let body = try await request.json(CreateBody.self, context: context)
            let tarball = try sourcePath(body.source_blob.url)
            let buildpacks = try body.buildpacks.map { list throws(OpenrukoError) in
                try list.map { buildpack throws(OpenrukoError) in
                    guard let url = buildpack.url ?? buildpack.name else {
                        throw OpenrukoError(.invalid, "Invalid params: every buildpack needs a url.", resource: "build")
                    }
                    return url
                }
            }
            let build = try await environment.platform.startBuild(
                name, tarball: tarball, version: body.source_blob.version, buildpacks: buildpacks, service: environment.builds,
                as: principal)
            return try JSONResponse.make(resource(build, app, principal, request), status: .created, for: request)
        }
        router.get("/streams/builds/:token") { request, context in
            let (grant, principal, app) = try environment.redeem(try context.parameter("token"), kind: .buildOutput)
            guard let app, let buildID = grant.object else { throw OpenrukoError(.notFound, "Couldn't find that build.", resource: "build") }
            if let service = environment.builds {
                return TextStream.response(service.output(buildID: buildID), events: false, tail: false, heartbeat: environment.heartbeat)
            }
            let (_, output) = try environment.platform.buildOutput(app.id.wire, build: buildID.wire, as: principal)
            let lines = AsyncStream<String> { continuation in
                if !output.isEmpty { continuation.yield(output) }
                continuation.finish()
            }
            return TextStream.response(lines, events: false, tail: false, heartbeat: environment.heartbeat)
        }
    }

    private func resource(_ build: Build, _ app: App, _ principal: Principal, _ request: Request) -> BuildResource {
        let grant = Grant(
            kind: .buildOutput, user: principal.user?.id ?? StableID.nobody, app: app.id, object: build.id,
            expires: Grant.expiry(in: Self.outputLifetime))
        // The stack a finished build ran on is its slug's; a running one uses the app's.
        let stack = build.slugID.flatMap { try? environment.platform.slug(app.name, $0.uuidString, as: principal).1.stack }
        return BuildResource(
            build, app: app, stack: stack ?? app.stack, outputURL: environment.capabilityURL(request, "/streams/builds", grant),
            sourceURL: environment.platform.urls.gitURL(app.name))
    }

    /// The uploaded file behind a `get_url` from `POST /sources` (any host: clients may reach
    /// this server under several names).
    private func sourcePath(_ url: String) throws(OpenrukoError) -> String {
        let invalid = OpenrukoError(
            .invalid, "source_blob.url must be a get_url from POST /sources on this server (other URLs are not fetched).",
            resource: "build")
        guard let components = URLComponents(string: url), components.path.hasPrefix("/sources/") else { throw invalid }
        let token = String(components.path.dropFirst("/sources/".count))
        guard let (grant, _, _) = try? environment.redeem(token, kind: .sourceDownload), let id = grant.object else { throw invalid }
        let path = environment.sourcePath(id)
        guard FileManager.default.fileExists(atPath: path) else {
            throw OpenrukoError(.invalid, "Nothing was uploaded to that source's put_url yet.", resource: "build")
        }
        return path
    }
}
