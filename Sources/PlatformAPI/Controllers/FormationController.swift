import Foundation
import HTTPTypes
import Hummingbird
import OpenrukoCore
import Operations

/// Formation: `GET /apps/{app}/formation[/{type}]`, batch `PATCH /apps/{app}/formation`
/// (`{updates:[{type, quantity, size}]}`, quantities as numbers or strings like `"+1"`), and
/// `PATCH /apps/{app}/formation/{type}`.
struct FormationController {
    let environment: APIEnvironment

    struct DynoSize: Decodable {
        var name: String?
        var id: String?
    }

    struct Update: Decodable {
        var type: String?
        var quantity: QuantityValue?
        var size: String?
        var dyno_size: DynoSize?
    }

    struct BatchBody: Decodable {
        var updates: [Update]
    }

    static let pager = Pager<FormationEntry>([("type", { .text($0.type) }), ("id", { .text($0.id.wire) })])

    func register(on router: Router<APIContext>) {
        router.get("/apps/:app/formation") { request, context in
            let (app, formation) = try environment.platform.formation(try context.parameter("app"), as: try context.principal())
            let page = try Self.pager.page(formation, range: try ListRange(parsing: request.headers[.range]))
            return try JSONResponse.make(
                page.items.map { FormationResource($0, app: app) }, status: page.status, headers: page.headers, for: request)
        }
        router.get("/apps/:app/formation/:type") { request, context in
            let (app, formation) = try environment.platform.formation(try context.parameter("app"), as: try context.principal())
            let wanted = try context.parameter("type")
            guard let entry = formation.first(where: { $0.type == wanted || $0.id.wire == wanted.lowercased() }) else {
                throw OpenrukoError(.notFound, "Couldn't find that process type (\(wanted)).", resource: "formation")
            }
            return try JSONResponse.make(FormationResource(entry, app: app), for: request)
        }
        router.patch("/apps/:app/formation") { request, context in
            let principal = try context.principal()
            let name = try context.parameter("app")
            let app = try environment.platform.app(name, as: principal)
            let body = try await request.json(BatchBody.self, context: context)
            let changes = try body.updates.map { update throws(OpenrukoError) in
                guard let type = update.type else {
                    throw OpenrukoError(.invalid, "Invalid params: every update needs a type.", resource: "formation")
                }
                return try change(type: type, update)
            }
            let updated = try await environment.platform.scale(name, changes, as: principal)
            let types = Set(changes.map(\.type))
            return try JSONResponse.make(updated.filter { types.contains($0.type) }.map { FormationResource($0, app: app) }, for: request)
        }
        router.patch("/apps/:app/formation/:type") { request, context in
            let principal = try context.principal()
            let name = try context.parameter("app")
            let app = try environment.platform.app(name, as: principal)
            let type = try context.parameter("type")
            let body = try await request.json(Update.self, context: context)
            let updated = try await environment.platform.scale(name, [try change(type: type, body)], as: principal)
            guard let entry = updated.first(where: { $0.type == type }) else {
                throw OpenrukoError(.notFound, "Couldn't find that process type (\(type)).", resource: "formation")
            }
            return try JSONResponse.make(FormationResource(entry, app: app), for: request)
        }
    }

    private func change(type: String, _ update: Update) throws(OpenrukoError) -> FormationChange {
        let size = update.size ?? update.dyno_size?.name
        guard update.quantity != nil || size != nil else {
            throw OpenrukoError(.invalid, "Invalid params: give quantity or size for \(type).", resource: "formation")
        }
        return FormationChange(type: type, quantity: update.quantity?.quantity, size: size)
    }
}
