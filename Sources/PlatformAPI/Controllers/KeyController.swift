import Foundation
import HTTPTypes
import Hummingbird
import OpenrukoCore
import Operations

/// The caller's SSH keys: `GET/POST /account/keys`, `GET/DELETE /account/keys/{id|fingerprint|name}`.
/// Fingerprints contain `/`, so the key is taken from the rest of the path.
struct KeyController {
    let environment: APIEnvironment

    struct CreateBody: Decodable {
        var public_key: String
    }

    func register(on router: Router<APIContext>) {
        router.get("/account/keys") { request, context in
            let keys = try environment.platform.keys(user: nil, as: try context.principal())
            let page = try Pager<SSHKey>([("id", { .text($0.id.wire) }), ("created_at", { .text($0.createdAt.wire) })])
                .page(keys, range: try ListRange(parsing: request.headers[.range]))
            return try JSONResponse.make(page.items.map(KeyResource.init), status: page.status, headers: page.headers, for: request)
        }
        router.post("/account/keys") { request, context in
            let principal = try context.principal()
            let body = try await request.json(CreateBody.self, context: context)
            let key = try environment.platform.addKey(body.public_key, name: nil, user: nil, as: principal)
            return try JSONResponse.make(KeyResource(key), status: .created, for: request)
        }
        router.get("/account/keys/**") { request, context in
            let key = try find(request, context)
            return try JSONResponse.make(KeyResource(key), for: request)
        }
        router.delete("/account/keys/**") { request, context in
            let principal = try context.principal()
            let wanted = try identifier(request)
            let key = try environment.platform.removeKey(wanted, user: nil, as: principal)
            return try JSONResponse.make(KeyResource(key), for: request)
        }
    }

    /// Everything after `/account/keys/`, percent-decoded.
    private func identifier(_ request: Request) throws(OpenrukoError) -> String {
        let path = request.uri.path
        let raw = path.dropFirst("/account/keys/".count)
        return String(raw).removingPercentEncoding ?? String(raw)
    }

    private func find(_ request: Request, _ context: APIContext) throws(OpenrukoError) -> SSHKey {
        let wanted = try identifier(request)
        let keys = try environment.platform.keys(user: nil, as: try context.principal())
        guard let key = keys.first(where: { $0.id.wire == wanted.lowercased() || $0.fingerprint == wanted || $0.name == wanted }) else {
            throw OpenrukoError(.notFound, "Couldn't find that key.", resource: "key")
        }
        return key
    }
}
