import Foundation
import Testing
import TestSupport

extension RuntimeEndToEnd {
    /// `OPENRUKO_DISK_BUDGET` on the front ends other than SSH (`PushBudgetTests` has SSH):
    /// while `DATA_DIR` is over its budget, a push over git's smart HTTPS and a build through
    /// the builds API are refused with the budget's words, and nothing changes.
    @Suite(.timeLimit(.minutes(5))) struct DiskBudgetFrontEndTests {
        @Test func httpsPushesAndAPIBuildsAreRefusedWhileDATADIRIsOverItsBudget() async throws {
            let fixture = try await RuntimeFixture.start(environment: ["OPENRUKO_API_TLS_LISTEN": "127.0.0.1:0", "OPENRUKO_DISK_BUDGET": "4M"])
            defer { Task { await fixture.daemon.stop() } }
            try await fixture.admin(["users:create", "owner@example.com"])
            let token = try await fixture.admin(["tokens:create", "--user", "owner@example.com"]).stdout
                .trimmingCharacters(in: .whitespacesAndNewlines)
            try await fixture.admin(["apps:create", "web", "--user", "owner@example.com"])
            func port(_ name: String) throws -> Int {
                try #require(fixture.daemon.ready[name].flatMap { $0.split(separator: ":").last }.flatMap { Int($0) }, "\(name)")
            }
            // DATA_DIR over its 4 MB budget (an admin's file, real blocks)
            let made = try await ProcessRunner.run("/usr/bin/fallocate", ["-l", "8M", fixture.dataDir + "/filler"])
            try #require(made.status == 0, "\(made.stderr)")

            // A push over HTTPS is refused before git writes anything
            let helper = fixture.directory.appending("helper")
            try "#!/bin/sh\ntest \"$1\" = get || exit 0\necho username=heroku\necho password=\(token)\n"
                .write(toFile: helper, atomically: true, encoding: .utf8)
            chmod(helper, 0o700)
            let repo = try await fixture.repository(TestApp.files())
            let push = try await ProcessRunner.run(
                "/usr/bin/git",
                ["-c", "credential.helper=", "-c", "credential.helper=\(helper)", "push", "https://localhost:\(try port("api-tls"))/web.git", "main"],
                environment: ["GIT_SSL_CAINFO": fixture.dataDir + "/tls/ca.crt", "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "/bin/false"],
                directory: repo)
            #expect(push.status != 0)
            #expect(push.stderr.contains("Push rejected: openruko's disk budget is used up."), "\(push.stderr)")
            #expect(push.stderr.contains("may use 4 MB (OPENRUKO_DISK_BUDGET)"), "\(push.stderr)")
            #expect(try await GitFixture.commit(of: "refs/heads/main", inBare: fixture.dataDir + "/repos/web.git") == nil)

            // A build through the API is refused before it starts
            let api = "http://127.0.0.1:\(try port("api"))"
            func curl(_ method: String, _ url: String, _ extra: [String] = []) async throws -> String {
                try await ProcessRunner.run(
                    "/usr/bin/curl",
                    ["-sS", "-X", method, "-H", "Authorization: Bearer \(token)", "-H", "Accept: application/vnd.heroku+json; version=3",
                        "-H", "Content-Type: application/json"] + extra + [url]
                ).stdout
            }
            let source = try #require(
                try JSONSerialization.jsonObject(with: Data(try await curl("POST", api + "/sources").utf8)) as? [String: Any])
            let blob = try #require(source["source_blob"] as? [String: String], "\(source)")
            let tarball = fixture.directory.appending("source.tgz")
            let packed = try await ProcessRunner.run("/bin/tar", ["-czf", tarball, "-C", repo, "."])
            try #require(packed.status == 0)
            _ = try await ProcessRunner.run("/usr/bin/curl", ["-sS", "-X", "PUT", "--data-binary", "@" + tarball, try #require(blob["put_url"])])
            let answer = try await curl("POST", api + "/apps/web/builds", ["-d", #"{"source_blob":{"url":"\#(try #require(blob["get_url"]))"}}"#])
            #expect(answer.contains("Push rejected: openruko's disk budget is used up."), "\(answer)")
            let releases = try await fixture.releases("web")
            #expect(releases.allSatisfy { $0.version == 1 }, "\(releases)")
        }
    }
}
