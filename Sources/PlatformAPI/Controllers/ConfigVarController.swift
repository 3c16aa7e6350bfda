import Foundation
import HTTPTypes
import Hummingbird
import OpenrukoCore
import Operations

/// `GET/PATCH /apps/{app}/config-vars` (PATCH: string values set, null deletes, one release;
/// the reply is the whole resulting map) and `GET /apps/{app}/releases/{release}/config-vars`.
struct ConfigVarController {
    let environment: APIEnvironment

    func register(on router: Router<APIContext>) {
        router.get("/apps/:app/config-vars") { request, context in
            let (_, config) = try environment.platform.config(try context.parameter("app"), as: try context.principal())
            return try JSONResponse.make(config, for: request)
        }
        router.patch("/apps/:app/config-vars") { request, context in
            let principal = try context.principal()
            let name = try context.parameter("app")
            _ = try environment.platform.app(name, as: principal)
            let body = try await request.json([String: JSONValue].self, context: context)
            var set: [String: String] = [:]
            var unset: [String] = []
            for (key, value) in body {
                switch value {
                case .string(let text): set[key] = text
                case .null: unset.append(key)
                default:
                    throw OpenrukoError(.invalid, "Invalid params: config var \(key) must be a string or null.", resource: "config_var")
                }
            }
            _ = try await environment.platform.updateConfig(name, set: set, unset: unset, as: principal)
            let (_, config) = try environment.platform.config(name, as: principal)
            return try JSONResponse.make(config, for: request)
        }
        router.get("/apps/:app/releases/:release/config-vars") { request, context in
            let (_, release) = try environment.platform.release(
                try context.parameter("app"), try context.parameter("release"), as: try context.principal())
            return try JSONResponse.make(release.config, for: request)
        }
    }
}
