import Foundation
import Hummingbird
import NIOCore
import OpenrukoCore

/// Who a request comes from, as far as its `Authorization` header tells.
enum Authentication: Sendable {
    /// No `Authorization` header.
    case anonymous
    /// A valid API token (Bearer, or Basic with the token as password).
    case token(APIToken, User, secret: String)
    /// Basic credentials whose password is not a token: only `POST /oauth/authorizations`
    /// treats them as an e-mail and password.
    case password(email: String, password: String)
    /// A header that names no valid token.
    case invalid
}

/// The per-request context of the API: Hummingbird's core storage plus the caller.
struct APIContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The caller, resolved before routing.
    var authentication: Authentication = .anonymous
    /// The request's id (echoed as `Request-Id`).
    var requestID: String = ""
    /// The client's address without its port (`127.0.0.1`, `::1`), or `unknown`.
    let sourceAddress: String
    /// The connection, so that a refusal can stop reading a body it will never use (git).
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        sourceAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
        channel = source.channel
    }

    /// The largest JSON request body: larger ones are answered 413 `request_too_large`.
    /// Uploads (sources, slugs) stream to files instead and have their own limits.
    static let jsonBodyLimit = 1 << 20

    /// Hummingbird's name for the JSON body limit.
    var maxUploadSize: Int { Self.jsonBodyLimit }

    /// The authenticated principal.
    /// - Throws: 401 `unauthorized` when there is no valid token: the heroku CLI starts a
    ///   login on any 401, so it is used for nothing else.
    func principal() throws(OpenrukoError) -> Principal {
        guard case .token(_, let user, _) = authentication else {
            throw OpenrukoError(.unauthorized, "Invalid credentials provided.")
        }
        return .user(user)
    }

    /// The authenticated user (never the superuser: the API has no local superuser).
    func user() throws(OpenrukoError) -> User {
        guard case .token(_, let user, _) = authentication else {
            throw OpenrukoError(.unauthorized, "Invalid credentials provided.")
        }
        return user
    }

    /// A path parameter, percent-decoded.
    func parameter(_ name: String) throws(OpenrukoError) -> String {
        guard let raw = parameters.get(name) else {
            throw OpenrukoError(.invalid, "Missing path parameter \(name).")
        }
        return raw.removingPercentEncoding ?? raw
    }
}
