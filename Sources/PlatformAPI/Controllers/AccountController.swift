import Foundation
import HTTPTypes
import Hummingbird
import OpenrukoCore
import Operations

/// `GET /account`, `GET /users/{~|email}`, `GET /account/rate-limits`.
struct AccountController {
    let environment: APIEnvironment

    func register(on router: Router<APIContext>) {
        router.get("/account") { request, context in
            try JSONResponse.make(AccountResource(try context.user()), for: request)
        }
        router.get("/users/:user") { request, context in
            let user = try context.user()
            let wanted = try context.parameter("user")
            guard wanted == "~" || wanted.lowercased() == user.email || wanted.lowercased() == user.id.wire else {
                let other = try environment.platform.users(as: .user(user)).first {
                    $0.email == wanted.lowercased() || $0.id.wire == wanted.lowercased()
                }
                guard let other else { throw OpenrukoError.userNotFound(wanted) }
                return try JSONResponse.make(AccountResource(other), for: request)
            }
            return try JSONResponse.make(AccountResource(user), for: request)
        }
        router.get("/account/rate-limits") { request, context in
            let user = try context.user()
            return try JSONResponse.make(RateLimitResource(remaining: environment.rateLimiter.remaining(user.id)), for: request)
        }
    }
}
