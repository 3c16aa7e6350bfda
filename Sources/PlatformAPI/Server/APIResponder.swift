import Foundation
import HTTPTypes
import Hummingbird
import OpenrukoCore
import Operations

/// The API's front door, around the router: collapses `//` in paths, checks the
/// `Accept` version, authenticates (Bearer, or Basic with the token as password), applies the
/// rate limit, turns every error into Heroku's `{"id","message"}` and stamps `Request-Id` and
/// `RateLimit-Remaining` on every response.
struct APIResponder: HTTPResponder {
    typealias Context = APIContext
    let router: RouterResponder<APIContext>
    let environment: APIEnvironment

    func respond(to request: Request, context: APIContext) async throws -> Response {
        var context = context
        let requestID = Self.requestID(request.headers[.requestID])
        context.requestID = requestID
        var remaining: Int?
        var response: Response
        do {
            let request = Self.normalized(request)
            try Self.checkAccept(request.headers.value(.accept))
            context.authentication = try authenticate(request.headers.value(.authorization))
            if case .token(_, let user, _) = context.authentication {
                guard let left = environment.rateLimiter.take(user.id) else {
                    throw APIError(.tooManyRequests, id: "rate_limit", "Your account reached the API rate limit. Please wait a few minutes before making new requests.")
                }
                remaining = left
            }
            if let route = GitHTTPRoute(
                method: request.method, path: request.uri.path, query: request.uri.query, contentType: request.headers[.contentType])
            {
                response = await gitResponse(route, to: request, context: context)
            } else {
                response = try await router.respond(to: request, context: context)
            }
        } catch {
            response = APIError(any: error).response()
        }
        response.headers[.requestID] = requestID
        response.headers[.rateLimitRemaining] = String(remaining ?? environment.rateLimiter.capacity)
        return response
    }

    /// git's smart HTTP (`/APP.git/…`), or 503 where this server has no git.
    func gitResponse(_ route: GitHTTPRoute, to request: Request, context: APIContext) async -> Response {
        guard let git = environment.git else {
            return GitHTTPController.refusal(.serviceUnavailable, "This server does not serve git over HTTP.", context: context, body: route.hasBody)
        }
        return await GitHTTPController(environment: environment, git: git).respond(route, to: request, context: context)
    }

    /// The caller from an `Authorization` header. Token lookups are one indexed query.
    func authenticate(_ header: String?) throws(OpenrukoError) -> Authentication {
        guard let header else { return .anonymous }
        guard let credentials = Credentials(header: header) else { return .invalid }
        if let (token, user) = try environment.platform.authenticate(token: credentials.token) {
            return .token(token, user, secret: credentials.token)
        }
        if case .basic(let user, let password) = credentials, !user.isEmpty { return .password(email: user, password: password) }
        return .invalid
    }

    /// The newest id a client sent (the CLI sends a comma-joined list, newest first) when it
    /// looks like an id, else a new UUID.
    static func requestID(_ header: String?) -> String {
        if let first = header?.split(separator: ",").first?.trimmingCharacters(in: .whitespaces), (1...200).contains(first.count),
            first.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") })
        {
            return first
        }
        return UUID().wire
    }

    /// Refuses an explicit API version other than 3 (`application/vnd.heroku+json; version=2`);
    /// any `version=3…` variant, or no version, is v3.
    static func checkAccept(_ header: String?) throws(APIError) {
        guard let header, HeaderText.contains(header[...], "vnd.heroku+json") else { return }
        try HeaderText.forEachParameter(of: header[...]) { (name, value) throws(APIError) in
            if HeaderText.equalsIgnoringCase(name, "version"), !value.hasPrefix("3") {
                throw APIError(.notAcceptable, id: "not_acceptable", "This server speaks version 3 of the Heroku Platform API (Accept: application/vnd.heroku+json; version=3).")
            }
        }
    }

    /// The request with `//` collapsed and a trailing `/` removed (`HEROKU_HOST` with a
    /// trailing slash makes the CLI send `//account`).
    static func normalized(_ request: Request) -> Request {
        let path = request.uri.path
        // Byte by byte: Foundation's `contains` bridges to NSString, on every request.
        let slash = UInt8(ascii: "/")
        let doubled = zip(path.utf8, path.utf8.dropFirst()).contains { $0 == slash && $1 == slash }
        guard doubled || (path.utf8.count > 1 && path.utf8.last == slash) else { return request }
        var clean = path
        while clean.contains("//") { clean = clean.replacingOccurrences(of: "//", with: "/") }
        if clean.count > 1 && clean.hasSuffix("/") { clean.removeLast() }
        var head = request.head
        head.path = clean + (request.uri.query.map { "?" + $0 } ?? "")
        return Request(head: head, body: request.body)
    }
}
