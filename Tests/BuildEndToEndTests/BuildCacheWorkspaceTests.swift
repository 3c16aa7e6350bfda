import Foundation
import OpenrukoCore
import TestSupport
import Testing

/// The app's build cache is moved into the build's workspace, on the same mount as BUILD_DIR
/// (`BuildCacheHandOff`), and back after the build: buildpacks can hard-link between them; what
/// a hostile build leaves in or instead of its cache (links to host paths, a fifo, a link in
/// place of CACHE_DIR or BUILD_DIR) is never followed nor blocks the daemon; a build killed
/// mid-way leaves the next build its cache.
@Suite(.timeLimit(.minutes(15))) struct BuildCacheWorkspaceTests {
    /// A buildpack whose `bin/compile` is `compile` (`$1` BUILD_DIR, `$2` CACHE_DIR, `$3` ENV_DIR).
    func makeBuildpack(_ fixture: BuildFixture, _ name: String, compile: String) throws -> String {
        let buildpack = fixture.directory.appending(name)
        try FileManager.default.createDirectory(atPath: buildpack + "/bin", withIntermediateDirectories: true)
        for (file, script) in [
            ("detect", "#!/bin/sh\necho \(name)\n"), ("compile", "#!/bin/sh\n" + compile),
            ("release", "#!/bin/sh\necho '--- {}'\n"),
        ] {
            try script.write(toFile: buildpack + "/bin/" + file, atomically: true, encoding: .utf8)
            chmod(buildpack + "/bin/" + file, 0o755)
        }
        return buildpack
    }

    /// The mode of `path` itself (not followed).
    func mode(_ path: String) -> mode_t? {
        var info = stat()
        return lstat(path, &info) == 0 ? info.st_mode & 0o7777 : nil
    }

    @Test func aHostileCacheIsNeitherFollowedNorBlocksTheHost() async throws {
        let fixture = try await BuildFixture.make()
        try await fixture.createApp("hostile")
        let outside = fixture.directory.appending("outside")
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        try "host's\n".write(toFile: outside + "/secret", atomically: true, encoding: .utf8)
        chmod(outside, 0o750)
        let buildpack = try makeBuildpack(fixture, "hostile", compile: """
            build="$1" cache="$2"
            if [ -f "$cache/marker" ]; then echo "CACHE WARM"; else echo "CACHE COLD"; fi
            [ -p "$cache/fifo" ] && echo "FIFO KEPT"
            [ -L "$cache/link" ] && echo "LINK KEPT"
            echo warm > "$cache/marker"
            [ -p "$cache/fifo" ] || mkfifo "$cache/fifo"
            ln -sfn '\(outside)' "$cache/link"
            ln -sfn '\(outside)' "$cache/dir-link"
            # BUILD_DIR and CACHE_DIR are on one mount: a hard link between them works
            echo linked > "$cache/linked" && ln -f "$cache/linked" "$build/linked" && echo "HARD LINK OK"
            case "$(cat "$3/MODE" 2>/dev/null)" in
              swap-cache) rm -rf "$cache" && ln -s '\(outside)' "$cache" && echo "CACHE SWAPPED" ;;
              swap-build) chmod 0755 "$(dirname "$build")" 2>/dev/null
                mv "$build" "$build.old" 2>/dev/null && ln -s '\(outside)' "$build" && echo "BUILD SWAPPED" ;;
            esac
            true
            """)
        try await fixture.admin(["buildpacks:set", "hostile", buildpack])
        let repo = try await fixture.repository(["Procfile": "worker: sleep 1000\n", "n": "1\n"])
        var n = 1
        func push() async throws -> ProcessResult {
            n += 1
            try fixture.write(["n": "\(n)\n"], to: repo)
            try await fixture.commit(repo, "\(n)")
            return try await fixture.push(repo, app: "hostile")
        }

        // Given a build that links BUILD_DIR to CACHE_DIR and leaves a fifo and links in the cache
        let first = try await fixture.push(repo, app: "hostile")
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.contains("CACHE COLD") && first.stderr.contains("HARD LINK OK"), "\(first.stderr)")
        #expect(try await fixture.entries(ofSlug: try await fixture.latestSlug("hostile")).contains("./linked"))
        // Then the cache is back at its place after the build, the fifo and links kept as links
        let cache = fixture.dataDir + "/cache/hostile"
        #expect(FileManager.default.fileExists(atPath: cache + "/marker"))
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: cache + "/link")) == outside)
        // And the next build gets it (the host neither blocked on the fifo nor followed a link)
        let second = try await push()
        #expect(second.status == 0, "\(second.stderr)")
        for line in ["CACHE WARM", "FIFO KEPT", "LINK KEPT"] { #expect(second.stderr.contains(line), "\(second.stderr)") }

        // When a build swaps BUILD_DIR for a link to a host directory
        try await fixture.admin(["config:set", "hostile", "MODE=swap-build"])
        let swapped = try await push()
        // Then either it cannot (not its directory), or the build stops: nothing of the host is packed
        if swapped.stderr.contains("BUILD SWAPPED") {
            #expect(swapped.status != 0)
            #expect(swapped.stderr.contains("The build directory was replaced"), "\(swapped.stderr)")
        } else {
            #expect(swapped.status == 0, "\(swapped.stderr)")
        }
        #expect(!(try await fixture.entries(ofSlug: try await fixture.latestSlug("hostile")).contains("./secret")))

        // When a build swaps CACHE_DIR for a link to a host directory
        try await fixture.admin(["config:set", "hostile", "MODE=swap-cache"])
        let cacheSwap = try await push()
        #expect(cacheSwap.stderr.contains("CACHE SWAPPED"), "\(cacheSwap.stderr)")
        // Then the link never becomes the app's cache, and the next build runs cold
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: cache)) == nil, "the app's cache is no link")
        try await fixture.admin(["config:unset", "hostile", "MODE"])
        let cold = try await push()
        #expect(cold.status == 0, "\(cold.stderr)")
        #expect(cold.stderr.contains("CACHE COLD"), "\(cold.stderr)")
        // And the host directory the links named is untouched (contents and mode)
        #expect((try? String(contentsOfFile: outside + "/secret", encoding: .utf8)) == "host's\n")
        #expect(mode(outside) == 0o750)
        #expect(DiskUsage.names(fixture.dataDir + "/builds/hostile").isEmpty)
    }

    @Test func aBuildKilledMidWayLeavesTheNextBuildItsCache() async throws {
        let fixture = try await BuildFixture.make()
        try await fixture.createApp("killed")
        let buildpack = try makeBuildpack(fixture, "killable", compile: """
            cache="$2"
            if [ -f "$cache/payload" ]; then echo "CACHE WARM $(cat "$cache/payload")"; else echo "CACHE COLD"; fi
            if [ -f "$3/HANG" ]; then echo started > "$cache/started"; sleep 600; fi
            echo "payload $(cat n)" > "$cache/payload"
            """)
        try await fixture.admin(["buildpacks:set", "killed", buildpack])
        let repo = try await fixture.repository(["Procfile": "worker: sleep 1000\n", "n": "1\n"])
        let first = try await fixture.push(repo, app: "killed")
        #expect(first.status == 0 && first.stderr.contains("CACHE COLD"), "\(first.stderr)")

        // Given a build killed (SIGKILL: nothing cleans up) while its cache is in its workspace
        try await fixture.admin(["config:set", "killed", "HANG=1"])
        try fixture.write(["n": "2\n"], to: repo)
        try await fixture.commit(repo, "2")
        let hung = try await BackgroundProcess(try fixture.pushCommand(repo, app: "killed"))
        let builds = fixture.dataDir + "/builds/killed"
        let deadline = Date().addingTimeInterval(300)
        func started() -> Bool {
            DiskUsage.names(builds).contains { FileManager.default.fileExists(atPath: "\(builds)/\($0)/work/tmp/cache/started") }
        }
        while !started() {
            guard Date() < deadline, hung.isRunning else { throw TestFailure("the hanging build never started") }
            try await Task.sleep(for: .milliseconds(200))
        }
        hung.stop()
        #expect(!FileManager.default.fileExists(atPath: fixture.dataDir + "/cache/killed"), "the cache was in the workspace")

        // When the app builds again
        try await fixture.admin(["config:unset", "killed", "HANG"])
        try fixture.write(["n": "3\n"], to: repo)
        try await fixture.commit(repo, "3")
        let next = try await fixture.push(repo, app: "killed")
        // Then it gets the cache of the last finished build, whole, and the stale workspace is gone
        #expect(next.status == 0, "\(next.stderr)")
        #expect(next.stderr.contains("CACHE WARM payload 1"), "\(next.stderr)")
        #expect(DiskUsage.names(builds).isEmpty)
        #expect((try? String(contentsOfFile: fixture.dataDir + "/cache/killed/payload", encoding: .utf8)) == "payload 3\n")
    }
}

extension BuildFixture {
    /// The `git push` of `fixture.push` as a command line, to run in the background.
    func pushCommand(_ path: String, app: String, ref: String = "main") throws -> [String] {
        let invocation = GitService.receivePack.invocation(
            app: app, layout: DataLayout(root: dataDir), resources: Resources(root: OpenrukoBinary.packageRoot), pusher: userID,
            executable: OpenrukoBinary.path)
        let command = (["env"] + invocation.environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            + [invocation.executable] + invocation.arguments.dropLast()).joined(separator: " ")
        return ["/usr/bin/git", "-C", path, "push", "--receive-pack=\(command)", invocation.arguments.last!, ref]
    }
}
