import Foundation
import HTTPTypes
import Hummingbird
import OpenrukoCore
import Operations

/// Apps: `GET/POST /apps`, `GET /users/{~|email}/apps`, `GET/PATCH/DELETE /apps/{name or id}`.
struct AppController {
    let environment: APIEnvironment
    var platform: Platform { environment.platform }

    struct CreateBody: Decodable {
        var name: String?
        var region: String?
        var stack: String?
    }

    struct UpdateBody: Decodable {
        var name: String?
        var maintenance: LooseBool?
        var build_stack: String?
    }

    static let pager = Pager<AppDetails>([
        ("name", { .text($0.app.name) }), ("id", { .text($0.app.id.wire) }), ("updated_at", { .text($0.app.updatedAt.wire) }),
    ])

    func register(on router: Router<APIContext>) {
        router.get("/apps") { request, context in
            try list(try platform.apps(as: try context.principal()), request)
        }
        router.get("/users/:user/apps") { request, context in
            let principal = try context.principal()
            let user = try context.parameter("user")
            return try list(try platform.apps(accessibleBy: user == "~" ? nil : user, as: principal), request)
        }
        router.post("/apps") { request, context in
            let principal = try context.principal()
            let body = try await request.json(CreateBody.self, context: context)
            if let region = body.region, region != AppResource.region.name, region != AppResource.region.id {
                throw OpenrukoError(.invalid, "Region \(region.debugDescription) is not available here; the region is \(AppResource.region.name).", resource: "region")
            }
            let app: App
            do {
                app = try platform.createApp(name: body.name, owner: nil, stack: body.stack, as: principal)
            } catch let error as OpenrukoError where error.kind == .conflict && error.resource == "app" {
                // Heroku's words and status; heroku3 treats this 422 as "already exists".
                throw OpenrukoError(.invalid, "Name is already taken", resource: "app")
            }
            return try JSONResponse.make(resource(try platform.details(of: app, measureRepository: false)), status: .created, for: request)
        }
        router.get("/apps/:app") { request, context in
            let app = try platform.app(try context.parameter("app"), as: try context.principal())
            return try JSONResponse.make(resource(try platform.details(of: app, measureRepository: true)), for: request)
        }
        router.patch("/apps/:app") { request, context in
            let principal = try context.principal()
            var app = try platform.app(try context.parameter("app"), as: principal)
            let body = try await request.json(UpdateBody.self, context: context)
            if let stack = body.build_stack { _ = try platform.resolveStack(stack) }
            if let name = body.name, name != app.name { _ = try AppName(name) }
            if let name = body.name { app = try platform.renameApp(app.id.wire, to: name, as: principal) }
            if let maintenance = body.maintenance { app = try await platform.setMaintenance(app.id.wire, maintenance.value, as: principal) }
            if let stack = body.build_stack { app = try platform.setBuildStack(app.id.wire, stack, as: principal) }
            return try JSONResponse.make(resource(try platform.details(of: app, measureRepository: false)), for: request)
        }
        router.delete("/apps/:app") { request, context in
            let principal = try context.principal()
            let app = try platform.app(try context.parameter("app"), as: principal)
            let details = try platform.details(of: app, measureRepository: false)
            _ = try await platform.destroyApp(app.id.wire, confirm: app.name, as: principal)
            return try JSONResponse.make(resource(details), for: request)
        }
    }

    private func list(_ apps: [App], _ request: Request) throws -> Response {
        let details = try apps.map { app throws(OpenrukoError) in try platform.details(of: app, measureRepository: false) }
        let page = try Self.pager.page(details, range: try ListRange(parsing: request.headers[.range]))
        return try JSONResponse.make(page.items.map(resource), status: page.status, headers: page.headers, for: request)
    }

    private func resource(_ details: AppDetails) -> AppResource {
        var resource = AppResource(details, urls: platform.urls)
        resource.acm = platform.automaticCertificatesEnabled(details.app)
        return resource
    }
}

/// `GET /stacks`, `GET /stacks/{name or id}`.
struct StackController {
    let environment: APIEnvironment

    func register(on router: Router<APIContext>) {
        router.get("/stacks") { request, context in
            _ = try context.principal()
            let stacks = environment.platform.stacks().map(StackResource.init)
            return try JSONResponse.make(stacks, for: request)
        }
        router.get("/stacks/:stack") { request, context in
            _ = try context.principal()
            let wanted = try context.parameter("stack").lowercased()
            let stacks = environment.platform.stacks().map(StackResource.init)
            guard let stack = stacks.first(where: { $0.name == wanted || $0.id == wanted }) else {
                throw OpenrukoError(.notFound, "Couldn't find that stack.", resource: "stack")
            }
            return try JSONResponse.make(stack, for: request)
        }
    }
}
