import Foundation
import HTTPTypes
import OpenrukoCore

/// What a request to git's smart HTTP paths asks for (DESIGN.md §2.7), decided from the
/// method, the raw path and the query alone, before anything is read or run:
/// `GET /APP.git/info/refs?service=git-upload-pack|git-receive-pack`,
/// `POST /APP.git/git-upload-pack`, `POST /APP.git/git-receive-pack` (also without `.git`).
///
/// ```swift
/// GitHTTPRoute(method: .get, path: "/web1.git/info/refs", query: "service=git-receive-pack")
/// // .advertisement(.receivePack, app: "web1")
/// GitHTTPRoute(method: .get, path: "/apps/web1", query: nil)   // nil: not git, the API's
/// ```
enum GitHTTPRoute: Equatable, Sendable {
    /// The refs a service advertises (`info/refs`).
    case advertisement(GitService, app: String)
    /// One request of the stateless RPC (`git-upload-pack`, `git-receive-pack`).
    case rpc(GitService, app: String)
    /// A git path that is refused before authentication: the status and the sentence shown.
    case refused(HTTPResponse.Status, String)

    /// The content type git sends with an RPC request of `service`.
    static func requestType(_ service: GitService) -> String { "application/x-\(service.rawValue)-request" }

    /// Classifies a request; nil when the path is none of git's (the API's routes take it).
    /// - Parameters:
    ///   - path: the path as sent (percent-encoded): an encoded `/` stays inside its segment.
    ///   - contentType: the request's `Content-Type` (checked for RPC requests).
    init?(method: HTTPRequest.Method, path: String, query: String?, contentType: String? = nil) {
        // Every API request passes here: most are not git's, told by their end alone.
        guard path.hasSuffix("/info/refs") || path.hasSuffix("/git-upload-pack") || path.hasSuffix("/git-receive-pack") else {
            return nil
        }
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)
        let isAdvertisement = segments.count == 3 && segments[1] == "info" && segments[2] == "refs"
        let rpcService = segments.count == 2 ? GitService(rawValue: segments[1]) : nil
        guard isAdvertisement || rpcService != nil else { return nil }
        guard let app = Self.app(segments[0]) else {
            self = .refused(.notFound, "Invalid repository. Use https://HOST:PORT/APP.git.")
            return
        }
        if isAdvertisement {
            guard method == .get else {
                self = .refused(.methodNotAllowed, "Use GET for info/refs.")
                return
            }
            guard let service = Self.service(query) else {
                self = .refused(.forbidden, "openruko speaks git's smart HTTP only: ?service=git-upload-pack or git-receive-pack.")
                return
            }
            self = .advertisement(service, app: app)
            return
        }
        guard let service = rpcService else { return nil }
        guard method == .post else {
            self = .refused(.methodNotAllowed, "Use POST for \(service.rawValue).")
            return
        }
        guard contentType?.lowercased() == Self.requestType(service) else {
            self = .refused(.unsupportedMediaType, "Expected Content-Type: \(Self.requestType(service)).")
            return
        }
        self = .rpc(service, app: app)
    }

    /// The app named by a repository segment (`web1.git` or `web1`), percent-decoded and held
    /// to the app-name rule, so no `..`, `/` or other path ever reaches a repository path.
    static func app(_ segment: String) -> String? {
        guard var name = segment.removingPercentEncoding else { return nil }
        if name.hasSuffix(".git") { name.removeLast(4) }
        return AppName.isValid(name) ? name : nil
    }

    /// The service a `service=` query names; nil when absent or not one of the two.
    static func service(_ query: String?) -> GitService? {
        let values = (query ?? "").split(separator: "&").compactMap { pair -> String? in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return parts.count == 2 && parts[0] == "service" ? String(parts[1]) : nil
        }
        guard values.count == 1 else { return nil }
        return GitService(rawValue: values[0])
    }

    /// The `GIT_PROTOCOL` for a `Git-Protocol` header: our constant `version=2` when the client
    /// offers it for upload-pack (receive-pack has no v2), else nil. Never the header's text.
    static func gitProtocol(_ header: String?, service: GitService) -> String? {
        guard service == .uploadPack, let header else { return nil }
        return header.split(separator: ":").contains { $0.trimmingCharacters(in: .whitespaces) == "version=2" } ? "version=2" : nil
    }

    /// The app and service of a route that may run (nil for a refusal).
    var target: (service: GitService, app: String)? {
        switch self {
        case .advertisement(let service, let app), .rpc(let service, let app): (service, app)
        case .refused: nil
        }
    }

    /// Whether the request carries a body git would stream (a push or a fetch negotiation).
    var hasBody: Bool {
        if case .rpc = self { return true }
        return false
    }
}
