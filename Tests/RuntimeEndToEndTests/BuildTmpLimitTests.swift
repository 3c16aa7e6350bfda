import Foundation
import OpenrukoCore
import Testing
import TestSupport

extension RuntimeEndToEnd {
    /// A build's `/tmp`: a tmpfs of `OPENRUKO_BUILD_TMP_MAX` per step, charged to the build's
    /// memory cgroup, under BUILD_DIR and the cache (which stay on disk).
    @Suite(.timeLimit(.minutes(15))) struct BuildTmpLimitTests {
        /// An admin's buildpack whose `bin/compile` runs `compile` (sh).
        static func buildpack(_ fixture: RuntimeFixture, _ name: String, compile: String) throws -> String {
            let buildpack = fixture.directory.appending(name)
            try FileManager.default.createDirectory(atPath: buildpack + "/bin", withIntermediateDirectories: true)
            for (step, script) in [
                ("detect", "#!/bin/sh\necho \(name)\n"), ("compile", "#!/bin/sh\n" + compile),
                ("release", "#!/bin/sh\necho '--- {}'\n"),
            ] {
                try script.write(toFile: buildpack + "/bin/" + step, atomically: true, encoding: .utf8)
                chmod(buildpack + "/bin/" + step, 0o755)
            }
            return buildpack
        }

        /// `git push` of main as `fixture.push` does, with the build settings in the hook's
        /// environment (as the daemon's own environment reaches it over SSH).
        static func push(_ fixture: RuntimeFixture, _ path: String, app: String, settings: [String: String]) async throws -> ProcessResult {
            let invocation = GitService.receivePack.invocation(
                app: app, layout: DataLayout(root: fixture.dataDir), resources: Resources(root: OpenrukoBinary.packageRoot),
                pusher: fixture.userID, executable: OpenrukoBinary.path)
            let environment = invocation.environment.merging(settings) { _, new in new }
            let command = (["env"] + environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                + [invocation.executable] + invocation.arguments.dropLast()).joined(separator: " ")
            return try await ProcessRunner.run(
                "/usr/bin/git", ["push", "--receive-pack=\(command)", invocation.arguments.last!, "main"], directory: path)
        }

        /// The files and directories left under the app's build directories on the host.
        static func leftovers(_ fixture: RuntimeFixture, app: String) -> [String] {
            (try? FileManager.default.subpathsOfDirectory(atPath: fixture.dataDir + "/builds/" + app)) ?? []
        }

        @Test func aBuildWritingUnderTheCapSucceedsWhileBuildDirAndCacheStayOnDisk() async throws {
            let settings = ["OPENRUKO_BUILD_TMP_MAX": "64M"]
            let fixture = try await RuntimeFixture.start(environment: settings)
            defer { Task { await fixture.daemon.stop() } }
            // 40 MB into /tmp (a 64 MB tmpfs); a file into BUILD_DIR (the slug) and one into the
            // cache (the next build): both are binds under /tmp that the tmpfs must not hide.
            let compile = #"""
                set -e
                dd if=/dev/zero of=/tmp/fill bs=1M count=40 2>&1 | tail -1
                echo "tmp-fs=$(stat -f -c %T /tmp) tmp-kb=$(df -k /tmp | awk 'NR==2 {print $2}')"
                echo "cached-before=$(cat "$2/marker" 2>/dev/null || echo none)"
                echo cached > "$2/marker"
                echo built > "$1/BUILT"
                """#
            let buildpack = try Self.buildpack(fixture, "tmpfill", compile: compile)
            try await fixture.admin(["apps:create", "filler"])
            try await fixture.admin(["buildpacks:set", "filler", buildpack])
            let repo = try await fixture.repository(TestApp.files())
            let first = try await Self.push(fixture, repo, app: "filler", settings: settings)
            #expect(first.status == 0, "\(first.stderr)")
            #expect(first.stderr.contains("41943040 bytes"), "all 40 MB were written: \(first.stderr)")
            #expect(first.stderr.contains("tmp-fs=tmpfs tmp-kb=65536"), "/tmp is a 64 MB tmpfs: \(first.stderr)")
            #expect(first.stderr.contains("cached-before=none"), "\(first.stderr)")
            try await fixture.eventually("the build serves") { try await fixture.get("filler")?["version"] as? String == "1" }
            #expect(try await fixture.get("filler", "/read?path=/app/BUILT")?["bytes"] as? Int == 6, "BUILD_DIR reached the slug")
            try await fixture.change(repo, ["VERSION": "2\n"])
            let second = try await Self.push(fixture, repo, app: "filler", settings: settings)
            #expect(second.status == 0, "\(second.stderr)")
            #expect(second.stderr.contains("cached-before=cached"), "the cache outlived the first build: \(second.stderr)")
            #expect(Self.leftovers(fixture, app: "filler").isEmpty, "\(Self.leftovers(fixture, app: "filler"))")
        }

        @Test func aBuildFillingTmpIsRejectedAndTheRunningReleaseKeepsServing() async throws {
            let settings = ["OPENRUKO_BUILD_TMP_MAX": "64M"]
            let fixture = try await RuntimeFixture.start(environment: settings)
            defer { Task { await fixture.daemon.stop() } }
            let repo = try await fixture.deploy("steady", TestApp.files())
            try await fixture.eventually("the first release serves") { try await fixture.get("steady")?["version"] as? String == "1" }
            let before = try await fixture.releases("steady")
            let buildpack = try Self.buildpack(fixture, "tmphog", compile: "dd if=/dev/zero of=/tmp/fill bs=1M count=200\n")
            try await fixture.admin(["buildpacks:set", "steady", buildpack])
            try await fixture.change(repo, ["VERSION": "2\n"])
            let push = try await Self.push(fixture, repo, app: "steady", settings: settings)
            #expect(push.status != 0)
            #expect(push.stderr.contains("No space left on device"), "\(push.stderr)")
            #expect(push.stderr.contains("Push rejected, failed to compile tmphog app."), "\(push.stderr)")
            #expect(!push.stderr.contains("200+0 records out"), "all 200 MB were written: \(push.stderr)")
            #expect(try await fixture.releases("steady").count == before.count, "no new release")
            #expect(try await fixture.get("steady")?["version"] as? String == "1", "the running release keeps serving")
            #expect(Self.leftovers(fixture, app: "steady").isEmpty, "\(Self.leftovers(fixture, app: "steady"))")
        }

        @Test(.enabled(if: geteuid() == 0, "cgroups need root"))
        func tmpCountsAgainstTheBuildsMemory() async throws {
            // /tmp may hold 1 GB, the build 200 MB of memory: its tmpfs pages are the build's.
            let settings = ["OPENRUKO_BUILD_TMP_MAX": "1G", "OPENRUKO_BUILD_MEMORY": "200"]
            let fixture = try await RuntimeFixture.start(environment: settings)
            defer { Task { await fixture.daemon.stop() } }
            let buildpack = try Self.buildpack(fixture, "tmpeater", compile: "echo filling\ndd if=/dev/zero of=/tmp/fill bs=1M count=300\n")
            try await fixture.admin(["apps:create", "eater"])
            try await fixture.admin(["buildpacks:set", "eater", buildpack])
            let repo = try await fixture.repository(TestApp.files())
            let push = try await Self.push(fixture, repo, app: "eater", settings: settings)
            #expect(push.status != 0)
            #expect(push.stderr.contains("The build ran out of memory: builds may use 200 MB"), "\(push.stderr)")
            #expect(!push.stderr.contains("300+0 records out"), "all 300 MB were written: \(push.stderr)")
            #expect(try await fixture.admin(["apps"]).status == 0, "the daemon still answers")
            #expect(Self.leftovers(fixture, app: "eater").isEmpty, "\(Self.leftovers(fixture, app: "eater"))")
        }
    }
}
