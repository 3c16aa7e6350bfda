import Foundation
import HTTPTypes
import Hummingbird
import OpenrukoCore
import Operations

/// `GET/POST /apps/{app}/collaborators`, `GET/DELETE /apps/{app}/collaborators/{email or id}`.
struct CollaboratorController {
    let environment: APIEnvironment

    struct CreateBody: Decodable {
        var user: String
        var silent: Bool?
    }

    static let pager = Pager<Collaborator>([("email", { .text($0.email) }), ("id", { .text($0.id.wire) })])

    func register(on router: Router<APIContext>) {
        router.get("/apps/:app/collaborators") { request, context in
            let (app, collaborators) = try environment.platform.collaborators(try context.parameter("app"), as: try context.principal())
            let page = try Self.pager.page(collaborators, range: try ListRange(parsing: request.headers[.range]))
            return try JSONResponse.make(
                page.items.map { CollaboratorResource($0, app: app) }, status: page.status, headers: page.headers, for: request)
        }
        router.get("/apps/:app/collaborators/:collaborator") { request, context in
            let (app, collaborator) = try find(context)
            return try JSONResponse.make(CollaboratorResource(collaborator, app: app), for: request)
        }
        router.post("/apps/:app/collaborators") { request, context in
            let principal = try context.principal()
            let name = try context.parameter("app")
            let app = try environment.platform.app(name, as: principal)
            let body = try await request.json(CreateBody.self, context: context)
            let collaborator = try environment.platform.addCollaborator(name, email: body.user, as: principal)
            return try JSONResponse.make(CollaboratorResource(collaborator, app: app), status: .created, for: request)
        }
        router.delete("/apps/:app/collaborators/:collaborator") { request, context in
            let (app, found) = try find(context)
            let removed = try environment.platform.removeCollaborator(app.id.wire, email: found.email, as: try context.principal())
            return try JSONResponse.make(CollaboratorResource(removed, app: app), for: request)
        }
    }

    private func find(_ context: APIContext) throws(OpenrukoError) -> (App, Collaborator) {
        let (app, collaborators) = try environment.platform.collaborators(try context.parameter("app"), as: try context.principal())
        let wanted = try context.parameter("collaborator").lowercased()
        guard let collaborator = collaborators.first(where: { $0.email == wanted || $0.id.wire == wanted || $0.userID.wire == wanted })
        else {
            throw OpenrukoError(.notFound, "Couldn't find that collaborator.", resource: "collaborator")
        }
        return (app, collaborator)
    }
}
