import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OpenrukoCore
import Operations

/// git's smart HTTP on the API listener (`https://HOST:PORT/APP.git`, the remote the heroku CLI
/// writes): Basic authentication with any user name and an API token as the password (what
/// the CLI's credential helper answers after a `401` challenge), the same access rule and
/// refusals as over SSH (`Platform.gitRepository`), and git itself behind it
/// (`GitHTTPProcess`), so a push runs the same hooks, lock and build as over SSH.
///
/// ```swift
/// if let route = GitHTTPRoute(method: request.method, path: path, query: query) {
///     return await GitHTTPController(environment: environment, git: git).respond(route, to: request, context: context)
/// }
/// ```
struct GitHTTPController: Sendable {
    let environment: APIEnvironment
    /// How to spawn git: the project's resources (hooks) and the `openruko` binary.
    let git: GitHTTPSettings

    /// The challenge that makes git ask its credential helper.
    static let challenge = "Basic realm=\"openruko\""

    /// The answer to a git request (a refusal, or git's streamed output).
    func respond(_ route: GitHTTPRoute, to request: Request, context: APIContext) async -> Response {
        guard let (service, name) = route.target else {
            if case .refused(let status, let message) = route { return Self.refusal(status, message, context: context, body: true) }
            return Self.refusal(.notFound, OpenrukoError.appNotFound.message, context: context, body: true)
        }
        guard case .token(_, let user, _) = context.authentication else {
            var response = Self.refusal(
                .unauthorized, "Authentication required: give an API token as the password (any user name).", context: context,
                body: route.hasBody)
            response.headers[.wwwAuthenticate] = Self.challenge
            return response
        }
        let app: App
        do {
            app = try environment.platform.gitRepository(name, as: .user(user), for: service)
        } catch {
            return Self.refusal(APIError(error).status, error.message, context: context, body: route.hasBody)
        }
        let invocation = service.invocation(
            app: app.name, layout: environment.platform.layout, resources: git.resources, pusher: user.id.uuidString.lowercased(),
            executable: git.executable, git: git.git, options: route.hasBody ? ["--stateless-rpc"] : ["--stateless-rpc", "--advertise-refs"])
        let gitProtocol = GitHTTPRoute.gitProtocol(request.headers[.gitProtocol], service: service)
        return route.hasBody
            ? Self.rpc(GitHTTPProcess(invocation: invocation), service: service, request: request)
            : Self.advertisement(GitHTTPProcess(invocation: invocation), service: service, gitProtocol: gitProtocol)
    }

    /// `info/refs`: git's advertisement, after the `# service=` line unless protocol v2 is spoken.
    static func advertisement(_ process: GitHTTPProcess, service: GitService, gitProtocol: String?) -> Response {
        let header = gitProtocol == nil ? pktLine("# service=\(service.rawValue)\n") + "0000" : ""
        return Response(
            status: .ok, headers: headers(contentType: "application/x-\(service.rawValue)-advertisement"),
            body: ResponseBody { writer in
                if !header.isEmpty { try await writer.write(ByteBuffer(string: header)) }
                try await process.run(input: nil, gzip: false, gitProtocol: gitProtocol) { chunk in try await writer.write(chunk) }
                try await writer.finish(nil)
            })
    }

    /// One stateless RPC: the body streams into git, its output (with a push's `remote:` build
    /// lines, sideband) streams back as it comes.
    static func rpc(_ process: GitHTTPProcess, service: GitService, request: Request) -> Response {
        let gzip = request.headers[.contentEncoding]?.lowercased().contains("gzip") ?? false
        let gitProtocol = GitHTTPRoute.gitProtocol(request.headers[.gitProtocol], service: service)
        let body = request.body
        return Response(
            status: .ok, headers: headers(contentType: "application/x-\(service.rawValue)-result"),
            body: ResponseBody { writer in
                try await process.run(input: body, gzip: gzip, gitProtocol: gitProtocol) { chunk in try await writer.write(chunk) }
                try await writer.finish(nil)
            })
    }

    /// A refusal git shows its user: text/plain, which git prints as `remote:` lines. When the
    /// request has a body it is never read: the connection stops reading and closes after.
    static func refusal(_ status: HTTPResponse.Status, _ message: String, context: APIContext, body: Bool) -> Response {
        var headers = headers(contentType: "text/plain; charset=utf-8")
        if body {
            headers[.connection] = "close"
            context.channel.close(mode: .input, promise: nil)
        }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: " !     \(message)\n")))
    }

    /// The headers of every git answer (never cached, as `git http-backend` says).
    static func headers(contentType: String) -> HTTPFields {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        headers[.cacheControl] = "no-cache, max-age=0, must-revalidate"
        headers[.expires] = "Fri, 01 Jan 1980 00:00:00 GMT"
        headers[.pragma] = "no-cache"
        return headers
    }

    /// One pkt-line: four hex digits of length (themselves included), then the payload.
    static func pktLine(_ payload: String) -> String {
        let length = payload.utf8.count + 4
        let hex = String(length, radix: 16)
        return String(repeating: "0", count: 4 - hex.count) + hex + payload
    }
}

extension HTTPField.Name {
    /// `Git-Protocol: version=2`, git's protocol offer over HTTP.
    static let gitProtocol = Self("Git-Protocol")!
    /// `Pragma: no-cache`, for HTTP/1.0 caches (as `git http-backend` sends it).
    static let pragma = Self("Pragma")!
}
