import Foundation
import HTTPTypes
import Hummingbird
import OpenrukoCore
import Operations

/// `POST /sources`: a place to upload a source tarball (`put_url`, sent without auth) and the
/// URL a build reads it from (`get_url`); both are capability URLs on this server.
struct SourceController {
    let environment: APIEnvironment

    /// The largest source tarball accepted.
    static let maximumSize: Int64 = 500 * 1024 * 1024
    /// How long the URLs stay valid, and how long unused uploads are kept.
    static let lifetime = 24 * 3600

    func register(on router: Router<APIContext>) {
        router.post("/sources") { request, context in
            let user = try context.user()
            removeStaleUploads()
            let id = UUID()
            let expires = Grant.expiry(in: Self.lifetime)
            let put = Grant(kind: .sourceUpload, user: user.id, object: id, expires: expires)
            let get = Grant(kind: .sourceDownload, user: user.id, object: id, expires: expires)
            let resource = SourceResource(
                source_blob: .init(
                    get_url: environment.capabilityURL(request, "/sources", get),
                    put_url: environment.capabilityURL(request, "/sources", put)))
            return try JSONResponse.make(resource, status: .created, for: request)
        }
        router.put("/sources/:token") { request, context in
            let (grant, _, _) = try environment.redeem(try context.parameter("token"), kind: .sourceUpload)
            guard let id = grant.object else { throw OpenrukoError(.notFound, "This URL is invalid or has expired.") }
            _ = try await Upload.receive(request.body, to: environment.sourcePath(id), limit: Self.maximumSize)
            return Response(status: .ok)
        }
        router.get("/sources/:token") { request, context in
            let (grant, _, _) = try environment.redeem(try context.parameter("token"), kind: .sourceDownload)
            guard let id = grant.object, FileManager.default.fileExists(atPath: environment.sourcePath(id)) else {
                throw OpenrukoError(.notFound, "Nothing was uploaded to this source yet.", resource: "source")
            }
            let body = try await FileIO().loadFile(path: environment.sourcePath(id), context: context)
            return Response(status: .ok, headers: [.contentType: "application/octet-stream"], body: body)
        }
    }

    /// Deletes uploads older than their URLs' lifetime.
    private func removeStaleUploads() {
        let manager = FileManager.default
        guard let names = try? manager.contentsOfDirectory(atPath: environment.sourcesDirectory) else { return }
        let cutoff = Date().addingTimeInterval(-TimeInterval(Self.lifetime))
        for name in names {
            let path = environment.sourcesDirectory + "/" + name
            if let modified = (try? manager.attributesOfItem(atPath: path))?[.modificationDate] as? Date, modified < cutoff {
                try? manager.removeItem(atPath: path)
            }
        }
    }
}

/// Slugs: `GET /apps/{app}/slugs/{id}`, `POST /apps/{app}/slugs` (the record, with
/// `blob.url` to PUT the `.tgz` archive to), and that upload (`PUT /slugs/{token}`).
struct SlugController {
    let environment: APIEnvironment

    struct CreateBody: Decodable {
        var process_types: [String: String]
        var buildpack_provided_description: String?
        var commit: String?
        var commit_description: String?
        var stack: String?
    }

    func register(on router: Router<APIContext>) {
        router.get("/apps/:app/slugs/:slug") { request, context in
            let principal = try context.principal()
            let (app, slug) = try environment.platform.slug(try context.parameter("app"), try context.parameter("slug"), as: principal)
            return try JSONResponse.make(resource(slug, app, principal, request), for: request)
        }
        router.post("/apps/:app/slugs") { request, context in
            let principal = try context.principal()
            let name = try context.parameter("app")
            _ = try environment.platform.app(name, as: principal)
            let body = try await request.json(CreateBody.self, context: context)
            let (app, slug) = try environment.platform.createSlug(
                name, processTypes: body.process_types, commit: body.commit, commitDescription: body.commit_description,
                buildpackDescription: body.buildpack_provided_description, stack: body.stack, as: principal)
            return try JSONResponse.make(resource(slug, app, principal, request), status: .created, for: request)
        }
        router.put("/slugs/:token") { request, context in
            let (grant, principal, app) = try environment.redeem(try context.parameter("token"), kind: .slugUpload)
            guard let app, let id = grant.object else { throw OpenrukoError(.notFound, "This URL is invalid or has expired.") }
            let upload = environment.platform.layout.slugs(app.name) + "/\(id.wire).upload"
            let (size, sha256) = try await Upload.receive(request.body, to: upload, limit: Platform.maximumSlugSize)
            _ = try environment.platform.acceptSlugArchive(
                app.id.wire, slug: id.wire, uploadedFile: upload, size: size, sha256: sha256, as: principal)
            return Response(status: .ok)
        }
    }

    private func resource(_ slug: Slug, _ app: App, _ principal: Principal, _ request: Request) -> SlugResource {
        let grant = Grant(
            kind: .slugUpload, user: principal.user?.id ?? StableID.nobody, app: app.id, object: slug.id,
            expires: Grant.expiry(in: SourceController.lifetime))
        return SlugResource(slug, blobURL: environment.capabilityURL(request, "/slugs", grant))
    }
}
