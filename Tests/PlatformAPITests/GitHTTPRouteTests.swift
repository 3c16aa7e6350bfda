import Foundation
import HTTPTypes
import OpenrukoCore
import Testing

@testable import PlatformAPI

@Suite("git smart HTTP routes", .timeLimit(.minutes(15)))
struct GitHTTPRouteTests {
    let uploadRequest = "application/x-git-upload-pack-request"
    let receiveRequest = "application/x-git-receive-pack-request"

    @Test("the paths git and the heroku CLI's remote use")
    func gitPaths() {
        #expect(
            GitHTTPRoute(method: .get, path: "/web1.git/info/refs", query: "service=git-receive-pack")
                == .advertisement(.receivePack, app: "web1"))
        #expect(
            GitHTTPRoute(method: .get, path: "/web1/info/refs", query: "service=git-upload-pack")
                == .advertisement(.uploadPack, app: "web1"))
        #expect(
            GitHTTPRoute(method: .post, path: "/web1.git/git-upload-pack", query: nil, contentType: uploadRequest)
                == .rpc(.uploadPack, app: "web1"))
        #expect(
            GitHTTPRoute(method: .post, path: "/web-1/git-receive-pack", query: nil, contentType: receiveRequest)
                == .rpc(.receivePack, app: "web-1"))
    }

    @Test("the API's own paths are not git's")
    func apiPaths() {
        for path in ["/apps", "/apps/web1", "/account", "/apps/web1/releases", "/health", "/", "/web1.git", "/web1.git/info",
            "/a/web1.git/info/refs", "/web1.git/HEAD", "/web1.git/objects/info/packs"]
        {
            #expect(GitHTTPRoute(method: .get, path: path, query: nil) == nil, "\(path)")
        }
    }

    @Test("no path ever escapes the app-name rule")
    func hostileNames() {
        for segment in ["..%2f..%2fetc.git", "..", "..%2F..%2Fetc", "%2e%2e", "%2fetc%2fpasswd", "Web1.git", "web1.git.git", "w",
            "web1%00.git", "web%201", "-web1", "web1;id", "%", ""]
        {
            let route = GitHTTPRoute(method: .get, path: "/\(segment)/info/refs", query: "service=git-upload-pack")
            guard case .refused(let status, _) = route else {
                Issue.record("\(segment) was not refused: \(String(describing: route))")
                continue
            }
            #expect(status == .notFound)
        }
    }

    @Test("unknown services, methods and content types are refused before anything runs")
    func refusals() {
        func status(_ route: GitHTTPRoute?) -> HTTPResponse.Status? {
            if case .refused(let status, _) = route { return status }
            return nil
        }
        for query in [nil, "", "service=git-upload-archive", "service=git-evil", "service=git-upload-pack&service=git-receive-pack",
            "service=git-receive-pack%00"]
        {
            #expect(status(GitHTTPRoute(method: .get, path: "/web1.git/info/refs", query: query)) == .forbidden, "\(query ?? "nil")")
        }
        #expect(status(GitHTTPRoute(method: .post, path: "/web1.git/info/refs", query: "service=git-upload-pack")) == .methodNotAllowed)
        #expect(status(GitHTTPRoute(method: .get, path: "/web1.git/git-receive-pack", query: nil)) == .methodNotAllowed)
        #expect(
            status(GitHTTPRoute(method: .post, path: "/web1.git/git-receive-pack", query: nil, contentType: uploadRequest))
                == .unsupportedMediaType)
        #expect(status(GitHTTPRoute(method: .post, path: "/web1.git/git-upload-pack", query: nil)) == .unsupportedMediaType)
        #expect(GitHTTPRoute(method: .post, path: "/web1.git/git-evil-pack", query: nil) == nil)
    }

    @Test("GIT_PROTOCOL is our constant, never the client's text")
    func gitProtocol() {
        #expect(GitHTTPRoute.gitProtocol("version=2", service: .uploadPack) == "version=2")
        #expect(GitHTTPRoute.gitProtocol("object-format=sha1:version=2", service: .uploadPack) == "version=2")
        #expect(GitHTTPRoute.gitProtocol("version=2", service: .receivePack) == nil)
        #expect(GitHTTPRoute.gitProtocol("version=2; rm -rf /", service: .uploadPack) == nil)
        #expect(GitHTTPRoute.gitProtocol("version=1", service: .uploadPack) == nil)
        #expect(GitHTTPRoute.gitProtocol(nil, service: .uploadPack) == nil)
    }

    @Test("pkt-lines carry their own length")
    func pktLine() {
        #expect(GitHTTPController.pktLine("# service=git-upload-pack\n") == "001e# service=git-upload-pack\n")
        #expect(GitHTTPController.pktLine("# service=git-receive-pack\n") == "001f# service=git-receive-pack\n")
    }
}
