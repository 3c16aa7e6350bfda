import Foundation
import Testing
import TestSupport

extension RuntimeEndToEnd {
    /// git's smart HTTP on the API's TLS listener, as the heroku CLI sets it up: an
    /// `https://localhost:PORT/APP.git` remote, a credential helper answering `heroku` and an
    /// API token, `GIT_SSL_CAINFO` at the daemon's local authority. Real git, a real daemon,
    /// real builds; tenants attack it too.
    @Suite(.timeLimit(.minutes(15))) struct GitOverHTTPSTests {
        /// A daemon with `--api-tls-listen`, three non-admin users with tokens and an app of
        /// the owner's with the collaborator on it.
        struct Scene {
            let fixture: RuntimeFixture
            let port: Int
            let plainPort: Int
            /// email → API token.
            let tokens: [String: String]

            var caFile: String { fixture.dataDir + "/tls/ca.crt" }
            func url(_ app: String) -> String { "https://localhost:\(port)/\(app).git" }

            /// A credential helper like the heroku CLI's: `username=heroku`, `password=TOKEN`.
            func helper(for token: String) throws -> String {
                let path = fixture.directory.appending("helper-\(abs(token.hashValue))")
                try "#!/bin/sh\ntest \"$1\" = get || exit 0\necho username=heroku\necho password=\(token)\n"
                    .write(toFile: path, atomically: true, encoding: .utf8)
                chmod(path, 0o700)
                return path
            }

            /// git with only that helper, the daemon's CA and no prompt.
            func git(_ arguments: [String], token: String, in directory: String) async throws -> ProcessResult {
                let options = ["-c", "credential.helper=", "-c", "credential.helper=\(try helper(for: token))"]
                return try await ProcessRunner.run(
                    "/usr/bin/git", options + arguments,
                    environment: ["GIT_SSL_CAINFO": caFile, "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "/bin/false"],
                    directory: directory)
            }

            /// curl on the TLS listener: status line, headers and body.
            func curl(_ path: String, user: String? = nil, extra: [String] = []) async throws -> ProcessResult {
                try await ProcessRunner.run(
                    "/usr/bin/curl",
                    ["-sS", "--path-as-is", "-i", "--cacert", caFile] + (user.map { ["-u", $0] } ?? []) + extra
                        + ["https://localhost:\(port)\(path)"])
            }
        }

        static func scene() async throws -> Scene {
            let fixture = try await RuntimeFixture.start(environment: ["OPENRUKO_API_TLS_LISTEN": "127.0.0.1:0"])
            var tokens: [String: String] = [:]
            for email in ["owner@example.com", "collab@example.com", "mallory@example.com"] {
                try await fixture.admin(["users:create", email])
                tokens[email] = try await fixture.admin(["tokens:create", "--user", email]).stdout
                    .trimmingCharacters(in: .whitespacesAndNewlines)
            }
            try await fixture.admin(["apps:create", "web", "--user", "owner@example.com"])
            try await fixture.admin(["access:add", "web", "collab@example.com"])
            func port(_ name: String) throws -> Int {
                try #require(fixture.daemon.ready[name].flatMap { $0.split(separator: ":").last }.flatMap { Int($0) }, "\(name)")
            }
            let info = try String(contentsOfFile: fixture.dataDir + "/daemon.json", encoding: .utf8)
            #expect(info.contains("\"api-tls\""), "daemon.json names the API's TLS listener: \(info)")
            return Scene(fixture: fixture, port: try port("api-tls"), plainPort: try port("api"), tokens: tokens)
        }

        @Test func pushBuildsAndReleasesAFailedBuildChangesNothingAndCollaboratorsClone() async throws {
            let scene = try await Self.scene()
            let fixture = scene.fixture
            defer { Task { await fixture.daemon.stop() } }
            let owner = try #require(scene.tokens["owner@example.com"])
            let repo = try await fixture.repository(TestApp.files())
            // Forty branches: the clone's negotiation is then over 1 KiB, which git gzips.
            for index in 0..<40 { try await fixture.git(["branch", "topic-\(index)"], in: repo) }
            try await fixture.git(["remote", "add", "heroku", scene.url("web")], in: repo)

            let push = try await scene.git(["push", "heroku", "--all"], token: owner, in: repo)
            #expect(push.status == 0, "\(push.stderr)")
            #expect(push.stderr.contains("remote: -----> "), "build output reaches the pusher: \(push.stderr)")
            #expect(push.stderr.contains("Released v"), "\(push.stderr)")
            let head = try await fixture.git(["rev-parse", "main"], in: repo).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let bare = fixture.dataDir + "/repos/web.git"
            #expect(try await GitFixture.commit(of: "refs/heads/main", inBare: bare) == head)
            let released = try await fixture.releases("web")
            #expect(released.last?.status == "succeeded", "\(released)")

            // A build that fails rejects the push: neither the ref nor the releases move.
            let broken = try await fixture.repository(["README": "nothing to detect\n"])
            let rejected = try await scene.git(["push", "-f", scene.url("web"), "main"], token: owner, in: broken)
            #expect(rejected.status != 0)
            #expect(rejected.stderr.contains("remote:") && rejected.stderr.contains("pre-receive hook declined"), "\(rejected.stderr)")
            #expect(try await GitFixture.commit(of: "refs/heads/main", inBare: bare) == head)
            #expect(try await fixture.releases("web").count == released.count)

            // A collaborator's clone is byte-exact: every branch, the same trees and blobs.
            let collab = try #require(scene.tokens["collab@example.com"])
            let clone = fixture.directory.appending("clone")
            let cloned = try await scene.git(["clone", "-q", scene.url("web"), clone], token: collab, in: fixture.directory.path)
            #expect(cloned.status == 0, "\(cloned.stderr)")
            #expect(try await fixture.git(["rev-parse", "HEAD"], in: clone).stdout.trimmingCharacters(in: .whitespacesAndNewlines) == head)
            let branches = try await fixture.git(["branch", "-r"], in: clone).stdout
            #expect(branches.contains("origin/topic-39"), "\(branches)")
            let fsck = try await fixture.git(["fsck", "--full", "--strict"], in: clone)
            #expect(fsck.status == 0, "\(fsck.stderr)")
            for (path, contents) in TestApp.files() {
                let file = path.hasPrefix("+x ") ? String(path.dropFirst(3)) : path
                #expect(FileManager.default.contents(atPath: clone + "/" + file) == Data(contents.utf8), "\(file)")
            }
        }

        @Test func wrongTokensOtherTenantsAndHostileRequestsAreRefused() async throws {
            let scene = try await Self.scene()
            let fixture = scene.fixture
            defer { Task { await fixture.daemon.stop() } }
            let repo = try await fixture.repository(TestApp.files())
            let bare = fixture.dataDir + "/repos/web.git"

            // No token: a Basic challenge, so git asks its credential helper.
            let anonymous = try await scene.curl("/web.git/info/refs?service=git-receive-pack")
            #expect(anonymous.stdout.hasPrefix("HTTP/1.1 401"), "\(anonymous.stdout)")
            #expect(anonymous.stdout.contains("WWW-Authenticate: Basic realm=\"openruko\""), "\(anonymous.stdout)")
            // A wrong token: git gives up after its helper's answer.
            let wrong = try await scene.git(["push", scene.url("web"), "main"], token: "not-a-token", in: repo)
            #expect(wrong.status != 0)
            #expect(wrong.stderr.contains("Authentication failed"), "\(wrong.stderr)")

            // Another tenant's token: the app answers exactly as one that does not exist.
            let mallory = try #require(scene.tokens["mallory@example.com"])
            let push = try await scene.git(["push", scene.url("web"), "main"], token: mallory, in: repo)
            #expect(push.status != 0)
            #expect(push.stderr.contains("remote: !     Couldn't find that app."), "the words of SSH: \(push.stderr)")
            let clone = try await scene.git(["clone", scene.url("web"), "stolen"], token: mallory, in: fixture.directory.path)
            #expect(clone.status != 0 && !FileManager.default.fileExists(atPath: fixture.directory.appending("stolen/.git/HEAD")))
            for service in ["git-upload-pack", "git-receive-pack"] {
                let existing = try await scene.curl("/web.git/info/refs?service=\(service)", user: "heroku:\(mallory)")
                let missing = try await scene.curl("/nope-app.git/info/refs?service=\(service)", user: "heroku:\(mallory)")
                #expect(existing.stdout.hasPrefix("HTTP/1.1 404"), "\(existing.stdout)")
                #expect(Self.withoutVaryingHeaders(existing.stdout) == Self.withoutVaryingHeaders(missing.stdout))
            }
            #expect(try await GitFixture.commit(of: "refs/heads/main", inBare: bare) == nil, "nothing was pushed")

            // Hostile paths and services, with a valid token: refused before any git runs.
            let owner = "heroku:" + (try #require(scene.tokens["owner@example.com"]))
            for path in ["/..%2f..%2fetc.git/info/refs?service=git-upload-pack", "/..%2F..%2Frepos%2Fweb.git/info/refs?service=git-upload-pack",
                "/%2e%2e/info/refs?service=git-upload-pack"]
            {
                let answer = try await scene.curl(path, user: owner)
                #expect(answer.stdout.hasPrefix("HTTP/1.1 404"), "\(path): \(answer.stdout)")
                #expect(!answer.stdout.contains(fixture.dataDir), "never a server path")
            }
            let evil = try await scene.curl("/web.git/info/refs?service=git-upload-archive", user: owner)
            #expect(evil.stdout.hasPrefix("HTTP/1.1 403"), "\(evil.stdout)")
            let dumb = try await scene.curl("/web.git/info/refs", user: owner)
            #expect(dumb.stdout.hasPrefix("HTTP/1.1 403"), "\(dumb.stdout)")

            // A huge body without a token is answered 401 and never read: the connection closes
            // at once instead of draining 100 GiB.
            let huge = try await ProcessRunner.run("/usr/bin/python3", ["-c", Self.hugeBodyScript, String(scene.plainPort)])
            #expect(huge.status == 0, "\(huge.stdout)\(huge.stderr)")
            #expect(huge.stdout.hasPrefix("HTTP/1.1 401"), "\(huge.stdout)")
        }

        /// Headers that differ between any two answers (ids, dates, rate limits).
        static func withoutVaryingHeaders(_ answer: String) -> String {
            answer.split(separator: "\r\n", omittingEmptySubsequences: false).filter {
                let lower = $0.lowercased()
                return !lower.hasPrefix("request-id") && !lower.hasPrefix("date") && !lower.hasPrefix("ratelimit-remaining")
            }.joined(separator: "\n")
        }

        /// Sends a 100 GiB receive-pack request head and 1 MiB of it without credentials, then
        /// prints the answer; fails unless the server closes within 10 s.
        static let hugeBodyScript = #"""
            import socket, sys, time
            s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
            s.sendall(b"POST /web.git/git-receive-pack HTTP/1.1\r\nHost: localhost\r\n"
                      b"Content-Type: application/x-git-receive-pack-request\r\nContent-Length: 107374182400\r\n\r\n")
            try:
                s.sendall(b"0" * (1 << 20))
            except OSError:
                pass
            s.settimeout(10)
            answer, start = b"", time.time()
            try:
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    answer += chunk
            except ConnectionResetError:
                pass
            sys.stdout.write(answer.decode("latin-1"))
            sys.exit(0 if time.time() - start < 10 else 1)
            """#
    }
}
