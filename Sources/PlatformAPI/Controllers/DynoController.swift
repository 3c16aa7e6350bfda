import Foundation
import HTTPTypes
import Hummingbird
import OpenrukoCore
import Operations

/// Dynos, through the runtime: `GET /apps/{app}/dynos[/{dyno}]`, one-off dynos (`POST
/// /apps/{app}/dynos`, see `registerRun`), restarts (`DELETE
/// /apps/{app}/dynos[/{dyno}]`, `DELETE /apps/{app}/formations/{type}`) and stops (`POST
/// …/dynos/{dyno}/actions/stop`, `POST …/formations/{type}/actions/stop`). Without a running
/// runtime these answer 503 with the runtime's reason.
struct DynoController {
    let environment: APIEnvironment

    func register(on router: Router<APIContext>) {
        router.get("/apps/:app/dynos") { request, context in
            let (app, dynos) = try await environment.platform.dynos(try context.parameter("app"), as: try context.principal())
            return try JSONResponse.make(dynos.map { DynoResource($0, app: app) }, for: request)
        }
        router.get("/apps/:app/dynos/:dyno") { request, context in
            let (app, dynos) = try await environment.platform.dynos(try context.parameter("app"), as: try context.principal())
            let wanted = try context.parameter("dyno")
            guard let dyno = dynos.first(where: { $0.name == wanted || $0.id.wire == wanted.lowercased() }) else {
                throw OpenrukoError(.notFound, "Couldn't find that dyno.", resource: "dyno")
            }
            return try JSONResponse.make(DynoResource(dyno, app: app), for: request)
        }
        registerRun(on: router)
        registerRunInside(on: router)
        router.delete("/apps/:app/dynos") { request, context in
            _ = try await environment.platform.restart(try context.parameter("app"), target: nil, as: try context.principal())
            return JSONResponse.empty(status: .accepted, for: request)
        }
        router.delete("/apps/:app/dynos/:dyno") { request, context in
            _ = try await environment.platform.restart(
                try context.parameter("app"), target: try context.parameter("dyno"), as: try context.principal())
            return JSONResponse.empty(status: .accepted, for: request)
        }
        router.delete("/apps/:app/formations/:type") { request, context in
            _ = try await environment.platform.restart(
                try context.parameter("app"), target: try context.parameter("type"), as: try context.principal())
            return JSONResponse.empty(status: .accepted, for: request)
        }
        router.post("/apps/:app/dynos/:dyno/actions/stop") { request, context in
            _ = try await environment.platform.stop(
                try context.parameter("app"), target: try context.parameter("dyno"), as: try context.principal())
            return JSONResponse.empty(status: .accepted, for: request)
        }
        router.post("/apps/:app/formations/:type/actions/stop") { request, context in
            _ = try await environment.platform.stop(
                try context.parameter("app"), target: try context.parameter("type"), as: try context.principal())
            return JSONResponse.empty(status: .accepted, for: request)
        }
    }
}
