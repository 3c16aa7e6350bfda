import Foundation
import HTTPTypes
import Hummingbird
import OpenrukoCore
import Operations

/// Add-ons (issue 19), as `heroku addons:*` uses them: `GET /addons`, `GET/POST
/// /apps/{app}/addons`, `GET/DELETE /addons/{id or name}` (and under `/apps/{app}/addons/`),
/// `GET /apps/{app}/addon-attachments`, `GET /addons/{id}/addon-attachments`, `GET
/// /addon-services(/{id})`, `GET /addon-services/{id}/plans(/{id})`, `POST /addon-attachments`
/// and `DELETE /addon-attachments/{id}` (`addons:attach`, `addons:detach`). The same use cases as
/// `addons:create` and `addons:destroy` over SSH (`Platform+Addons`).
struct AddonController {
    let environment: APIEnvironment

    /// `{"plan": "heroku-postgresql:essential-0"}` or `{"plan": {"name": …}}`, with
    /// `attachment.name` (`--as`). `config`, `confirm` and `name` are accepted and ignored.
    struct CreateBody: Decodable {
        struct Named: Decodable {
            var name: String?
        }

        var plan: String
        var attachment: Named?

        enum CodingKeys: String, CodingKey { case plan, attachment }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            if let text = try? container.decode(String.self, forKey: .plan) {
                plan = text
            } else {
                guard let name = try container.decode(Named.self, forKey: .plan).name else {
                    throw OpenrukoError(.invalid, "Give the plan as \"heroku-postgresql:essential-0\".", resource: "addon")
                }
                plan = name
            }
            attachment = try container.decodeIfPresent(Named.self, forKey: .attachment)
        }
    }

    /// `POST /addon-attachments`: `{"addon": ID or name, "app": ID or name, "name": NAME}`
    /// (`confirm` and `namespace` are accepted and ignored).
    struct AttachBody: Decodable {
        var addon: String
        var app: String
        var name: String?
    }

    /// `POST /actions/addons/resolve` and `/actions/addon-attachments/resolve`: what the CLI
    /// asks before `addons:info`, `addons:destroy` and `pg:*` (an add-on or attachment by name).
    struct ResolveBody: Decodable {
        var app: String?
        var addon: String?
        var addon_attachment: String?
        var addon_service: String?
    }

    func register(on router: Router<APIContext>) {
        router.post("/actions/addons/resolve") { request, context in
            let body = try await request.json(ResolveBody.self, context: context)
            let found = try resolve(body.addon ?? "", app: body.app, service: body.addon_service, context)
            return try JSONResponse.make([AddonResource(found)], for: request)
        }
        router.post("/actions/addon-attachments/resolve") { request, context in
            let body = try await request.json(ResolveBody.self, context: context)
            let found = try resolve(body.addon_attachment ?? "", app: body.app, service: body.addon_service, context)
            return try JSONResponse.make([AddonAttachmentResource(found)], for: request)
        }
        router.get("/addons") { request, context in
            try JSONResponse.make(try environment.platform.addons(nil, as: try context.principal()).map { AddonResource($0) }, for: request)
        }
        router.get("/apps/:app/addons") { request, context in
            // As Heroku's: the app's own add-ons, then those other apps share with it.
            let (app, principal) = (try context.parameter("app"), try context.principal())
            let addons = try environment.platform.addons(app, as: principal) + environment.platform.sharedAddons(app, as: principal).map(\.0)
            return try JSONResponse.make(addons.map { AddonResource($0) }, for: request)
        }
        router.post("/apps/:app/addons") { request, context in
            let body = try await request.json(CreateBody.self, context: context)
            let (addon, _) = try await environment.platform.createAddon(
                try context.parameter("app"), service: body.plan, as: body.attachment?.name, by: try context.principal())
            return try JSONResponse.make(AddonResource(addon), status: .created, for: request)
        }
        for prefix in ["/addons", "/apps/:app/addons"] {
            router.get("\(prefix)/:addon") { request, context in
                try JSONResponse.make(AddonResource(try find(context)), for: request)
            }
            router.delete("\(prefix)/:addon") { request, context in
                let found = try find(context)
                let (addon, _, _) = try await environment.platform.destroyAddon(
                    found.id.wire, confirm: found.appName, as: try context.principal())
                return try JSONResponse.make(AddonResource(addon, state: "deprovisioned"), for: request)
            }
        }
        router.get("/addons/:addon/addon-attachments") { request, context in
            let addon = try find(context)
            let shared = try environment.platform.attachments(of: addon).map { AddonAttachmentResource($0) }
            return try JSONResponse.make([AddonAttachmentResource(addon)] + shared, for: request)
        }
        router.get("/apps/:app/addon-attachments") { request, context in
            let app = try context.parameter("app")
            let addons = try environment.platform.addons(app, as: try context.principal())
            let shared = try environment.platform.attachments(app, as: try context.principal())
            return try JSONResponse.make(addons.map { AddonAttachmentResource($0) } + shared.map { AddonAttachmentResource($0) }, for: request)
        }
        router.get("/addon-attachments") { request, context in
            try JSONResponse.make(try environment.platform.addons(nil, as: try context.principal()).map { AddonAttachmentResource($0) }, for: request)
        }
        router.post("/addon-attachments") { request, context in
            let body = try await request.json(AttachBody.self, context: context)
            let (attachment, _) = try await environment.platform.attachAddon(body.addon, to: body.app, as: body.name, by: try context.principal())
            return try JSONResponse.make(AddonAttachmentResource(attachment), status: .created, for: request)
        }
        router.delete("/addon-attachments/:attachment") { request, context in
            let (attachment, _) = try await environment.platform.detachAddon(
                try context.parameter("attachment"), from: nil, by: try context.principal())
            return try JSONResponse.make(AddonAttachmentResource(attachment), for: request)
        }
        router.get("/addon-services") { request, context in
            _ = try context.principal()
            return try JSONResponse.make(AddonCatalog.services.map { AddonServiceResource($0) }, for: request)
        }
        router.get("/addon-services/:service") { request, context in
            _ = try context.principal()
            return try JSONResponse.make(AddonServiceResource(try service(context)), for: request)
        }
        router.get("/addon-services/:service/plans") { request, context in
            _ = try context.principal()
            let service = try service(context)
            return try JSONResponse.make(service.plans.map { AddonPlanResource($0, of: service) }, for: request)
        }
        router.get("/addon-services/:service/plans/:plan") { request, context in
            _ = try context.principal()
            let service = try service(context)
            let (_, plan) = try AddonCatalog.resolve("\(service.name):\(try context.parameter("plan"))")
            return try JSONResponse.make(AddonPlanResource(plan, of: service), for: request)
        }
    }

    /// The add-on named in the path (its app's, when the path has one).
    private func find(_ context: APIContext) throws(OpenrukoError) -> Addon {
        let app = context.parameters.get("app")
        return try environment.platform.addon(try context.parameter("addon"), app: app, as: try context.principal())
    }

    /// The add-on named `name` (its add-on name, id, or attachment name within `app`).
    private func resolve(_ name: String, app: String?, service: String?, _ context: APIContext) throws(OpenrukoError) -> Addon {
        let principal = try context.principal()
        let found: Addon
        if let app, name.isEmpty {
            found = try environment.platform.database(app, nil, as: principal)
        } else if let app, let named = try? environment.platform.addon(name, app: app, as: principal) {
            found = named
        } else if let app {
            found = try environment.platform.database(app, name, as: principal)  // DATABASE_URL and the like
        } else {
            found = try environment.platform.addon(name, as: principal)
        }
        if let service, AddonCatalog.service(service)?.name != found.service {
            throw OpenrukoError(.notFound, "Couldn't find that add-on.", resource: "addon")
        }
        return found
    }

    private func service(_ context: APIContext) throws(OpenrukoError) -> AddonService {
        guard let service = AddonCatalog.service(try context.parameter("service")) else {
            throw OpenrukoError(.notFound, "Couldn't find that add-on service.", resource: "addon_service")
        }
        return service
    }
}
