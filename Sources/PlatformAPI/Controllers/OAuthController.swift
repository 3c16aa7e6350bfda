import Foundation
import HTTPTypes
import Hummingbird
import OpenrukoCore
import Operations

/// OAuth authorizations, i.e. API tokens: `heroku login -i` posts e-mail and password (Basic)
/// and gets a token (passwords are throttled and checked off the request threads:
/// `PasswordLogin`); `logout` and `auth:token` list and revoke them.
struct OAuthController {
    let environment: APIEnvironment

    struct CreateBody: Decodable {
        var description: String?
        var expires_in: Int?
    }

    /// The longest token life `heroku login --expires-in` may ask for... and beyond: a year.
    static let maximumExpiry = 365 * 24 * 3600

    func register(on router: Router<APIContext>) {
        router.post("/oauth/authorizations") { request, context in
            let user: User
            switch context.authentication {
            case .token(_, let owner, _):
                user = owner
            case .password(let email, let password):
                user = try await environment.passwordLogin.user(
                    email: email, password: password, source: context.sourceAddress, platform: environment.platform)
            case .anonymous, .invalid:
                throw OpenrukoError(.unauthorized, "Invalid credentials provided.")
            }
            let body = try await request.json(CreateBody.self, context: context)
            if let expiresIn = body.expires_in, !(1...Self.maximumExpiry).contains(expiresIn) {
                throw OpenrukoError(.invalid, "expires_in must be between 1 and \(Self.maximumExpiry) seconds.", resource: "authorization")
            }
            let description = String((body.description ?? "").prefix(500))
            let (token, secret) = try environment.platform.createToken(
                user: nil, description: description, expiresIn: body.expires_in.map(TimeInterval.init), as: .user(user))
            return try JSONResponse.make(AuthorizationResource(token, user: user, secret: secret), status: .created, for: request)
        }
        router.get("/oauth/authorizations") { request, context in
            let user = try context.user()
            let current = currentToken(context)
            let tokens = try environment.platform.tokens(as: .user(user))
            return try JSONResponse.make(
                tokens.map { AuthorizationResource($0, user: user, secret: $0.id == current?.id ? current?.secret : nil) }, for: request)
        }
        router.get("/oauth/authorizations/:id") { request, context in
            let (token, user) = try find(try context.parameter("id"), context)
            let current = currentToken(context)
            return try JSONResponse.make(
                AuthorizationResource(token, user: user, secret: token.id == current?.id ? current?.secret : nil), for: request)
        }
        router.delete("/oauth/authorizations/:id") { request, context in
            let (token, user) = try find(try context.parameter("id"), context)
            let revoked = try environment.platform.revokeToken(id: token.id, as: .user(user))
            return try JSONResponse.make(AuthorizationResource(revoked, user: user, secret: nil), for: request)
        }
        // Sessions are not separate from authorizations here; the CLI's logout tolerates this
        // 404 and then revokes its authorization by id.
        router.delete("/oauth/sessions/:id") { _, context -> Response in
            _ = try context.user()
            throw OpenrukoError(.notFound, "Couldn't find that session.", resource: "session")
        }
    }

    private func currentToken(_ context: APIContext) -> (id: UUID, secret: String)? {
        guard case .token(let token, _, let secret) = context.authentication else { return nil }
        return (token.id, secret)
    }

    /// `~` (the token of this request) or an id among the caller's tokens.
    private func find(_ id: String, _ context: APIContext) throws(OpenrukoError) -> (APIToken, User) {
        let user = try context.user()
        if id == "~", case .token(let token, _, _) = context.authentication { return (token, user) }
        guard let token = try environment.platform.tokens(as: .user(user)).first(where: { $0.id.wire == id.lowercased() }) else {
            throw OpenrukoError(.notFound, "Couldn't find that authorization.", resource: "authorization")
        }
        return (token, user)
    }
}
