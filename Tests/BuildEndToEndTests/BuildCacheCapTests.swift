import Foundation
import TestSupport
import Testing

/// `OPENRUKO_BUILD_CACHE_MAX` with the real hook and build sandbox: a cache within the cap
/// stays for the next build, one over it is emptied after the build with a `remote:` line and
/// the next build runs cold. A hostile build cannot make its cache outlive the cap, nor make
/// the purge remove anything outside its cache through links it leaves there.
@Suite(.timeLimit(.minutes(10))) struct BuildCacheCapTests {
    /// A buildpack that says whether its cache is warm, then leaves `SIZE_KB` of data (from
    /// its ENV_DIR) and links to `targets` in the cache.
    func makeBuildpack(_ fixture: BuildFixture, targets: [String]) throws -> String {
        let buildpack = fixture.directory.appending("cache-buildpack")
        try FileManager.default.createDirectory(atPath: buildpack + "/bin", withIntermediateDirectories: true)
        let links = targets.enumerated().map { "ln -sfn '\($1)' \"$cache/link\($0)\"" }.joined(separator: "\n")
        for (name, script) in [
            ("detect", "#!/bin/sh\necho cachy\n"),
            ("compile", """
                #!/bin/sh
                cache="$2"
                if [ -f "$cache/marker" ]; then echo "CACHE WARM"; else echo "CACHE COLD"; fi
                echo warm > "$cache/marker"
                size=$(cat "$3/SIZE_KB" 2>/dev/null || echo 16)
                dd if=/dev/zero of="$cache/big" bs=1024 count="$size" 2>/dev/null
                mkdir -p "$cache/dir" && ln -sfn / "$cache/dir/root"
                \(links)
                """),
            ("release", "#!/bin/sh\necho '--- {}'\n"),
        ] {
            try script.write(toFile: buildpack + "/bin/" + name, atomically: true, encoding: .utf8)
            chmod(buildpack + "/bin/" + name, 0o755)
        }
        return buildpack
    }

    @Test func aCacheOverItsCapIsPurgedAndTheNextBuildRunsCold() async throws {
        let fixture = try await BuildFixture.make()
        try await fixture.createApp("cachy")
        try await fixture.createApp("victim")
        // Another app's cache and a host file outside DATA_DIR, which the tenant links to
        let secrets = try PlantedSecrets.plant(dataDir: fixture.dataDir, in: fixture.directory)
        let (victimCache, outside) = (secrets.victimCache, secrets.outside)
        let buildpack = try makeBuildpack(fixture, targets: [victimCache, outside + "/secret", outside])
        try await fixture.admin(["buildpacks:set", "cachy", buildpack])
        let cap = ["OPENRUKO_BUILD_CACHE_MAX": "1M"]
        let repo = try await fixture.repository(["Procfile": "worker: sleep 1000\n", "n": "1\n"])

        // Given a build that leaves 16 KB: under the cap, the cache stays for the next build
        let first = try await fixture.push(repo, app: "cachy", environment: cap)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.contains("CACHE COLD"))
        #expect(!first.stderr.contains("purged"))
        try fixture.write(["n": "2\n"], to: repo)
        try await fixture.commit(repo, "2")
        let second = try await fixture.push(repo, app: "cachy", environment: cap)
        #expect(second.stderr.contains("CACHE WARM"), "\(second.stderr)")

        // When a build leaves 3 MB in it (over the 1 MB cap)
        try await fixture.admin(["config:set", "cachy", "SIZE_KB=3072"])
        try fixture.write(["n": "3\n"], to: repo)
        try await fixture.commit(repo, "3")
        let big = try await fixture.push(repo, app: "cachy", environment: cap)
        #expect(big.status == 0, "\(big.stderr)")
        // Then the cache is emptied after the build, and the pusher is told
        #expect(big.stderr.contains("remote: -----> Build cache of 3.0 MB is over its cap of 1 MB (OPENRUKO_BUILD_CACHE_MAX): purged, the next build runs without a cache"), "\(big.stderr)")
        #expect(!FileManager.default.fileExists(atPath: fixture.dataDir + "/cache/cachy/big"))
        // And nothing the links named was touched
        #expect(secrets.intact, "another app's cache and the host's file are untouched")
        #expect(FileManager.default.fileExists(atPath: "/etc/passwd"))

        // And the next build runs cold (its own 16 KB stays again)
        try await fixture.admin(["config:unset", "cachy", "SIZE_KB"])
        try fixture.write(["n": "4\n"], to: repo)
        try await fixture.commit(repo, "4")
        let cold = try await fixture.push(repo, app: "cachy", environment: cap)
        #expect(cold.status == 0, "\(cold.stderr)")
        #expect(cold.stderr.contains("CACHE COLD"), "\(cold.stderr)")
        #expect(!cold.stderr.contains("purged"))
    }

    @Test func aFailedBuildsHugeCacheIsPurgedToo() async throws {
        let fixture = try await BuildFixture.make()
        try await fixture.createApp("failing")
        let buildpack = fixture.directory.appending("failing-buildpack")
        try FileManager.default.createDirectory(atPath: buildpack + "/bin", withIntermediateDirectories: true)
        for (name, script) in [
            ("detect", "#!/bin/sh\necho failing\n"),
            // A sparse file: its size counts, whatever blocks it holds
            ("compile", "#!/bin/sh\ntruncate -s 5G \"$2/huge\"\necho left a huge cache\nexit 1\n"),
            ("release", "#!/bin/sh\necho '--- {}'\n"),
        ] {
            try script.write(toFile: buildpack + "/bin/" + name, atomically: true, encoding: .utf8)
            chmod(buildpack + "/bin/" + name, 0o755)
        }
        try await fixture.admin(["buildpacks:set", "failing", buildpack])
        let repo = try await fixture.repository(["Procfile": "worker: sleep 1000\n"])
        // The default cap (1 GB) applies
        let push = try await fixture.push(repo, app: "failing")
        #expect(push.status != 0)
        #expect(push.stderr.contains("left a huge cache"))
        #expect(push.stderr.contains("Build cache of 5.0 GB is over its cap of 1 GB (OPENRUKO_BUILD_CACHE_MAX): purged"), "\(push.stderr)")
        #expect(!FileManager.default.fileExists(atPath: fixture.dataDir + "/cache/failing/huge"))
    }
}
