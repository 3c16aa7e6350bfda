import Foundation
import Testing
import TestSupport

/// Buildpacks named by a gzipped tarball URL, fetched over real HTTP (a python `http.server` on
/// loopback) by the build's sandbox: a GitHub-archive layout (one top directory) and a flat one
/// both build; a missing tarball, one that is not gzip and one without `bin/compile` fail the
/// push with the reason, the branch stays where it was and no release is made.
@Suite(.serialized, .timeLimit(.minutes(10)))
struct TarballBuildpackTests {
    /// Builds share the host's network so they reach the server on loopback (a build's own
    /// network reaches no host address).
    static let hostNetwork = ["OPENRUKO_DYNO_NETWORK": "host"]

    /// Packs a buildpack whose detect prints `name` into `directory/FILE`, under `top/` when given.
    static func pack(_ fixture: BuildFixture, name: String, file: String, top: String?, compile: Bool = true) async throws {
        let served = fixture.directory.appending("served")
        let root = fixture.directory.appending("bp-" + file)
        let base = top.map { root + "/" + $0 } ?? root
        var files = ["bin/detect": "#!/usr/bin/env bash\necho \(name)\n"]
        if compile { files["bin/compile"] = "#!/usr/bin/env bash\necho \"-----> compiled by \(name)\"\necho 'web: echo up' > \"$1/Procfile\"\n" }
        for (path, text) in files {
            try FileManager.default.createDirectory(atPath: base + "/bin", withIntermediateDirectories: true)
            try text.write(toFile: base + "/" + path, atomically: true, encoding: .utf8)
        }
        try FileManager.default.createDirectory(atPath: served, withIntermediateDirectories: true)
        let packed = try await ProcessRunner.run("/bin/tar", ["-czf", served + "/" + file, "-C", root, "."])
        try #require(packed.status == 0, "\(packed.stderr)")
    }

    @Test func tarballURLsBuildAndBadOnesFailThePushClearly() async throws {
        let fixture = try await BuildFixture.make()
        try await Self.pack(fixture, name: "Archived", file: "archived.tgz", top: "buildpack-main")
        try await Self.pack(fixture, name: "Flat", file: "flat.tar.gz", top: nil)
        try await Self.pack(fixture, name: "Hollow", file: "hollow.tgz", top: nil, compile: false)
        try "plain text, not gzip".write(toFile: fixture.directory.appending("served/text.tgz"), atomically: true, encoding: .utf8)
        let port = try await BuildFixture.freePort()
        let server = try await BackgroundProcess(
            ["/usr/bin/python3", "-m", "http.server", String(port), "--bind", "127.0.0.1", "--directory", fixture.directory.appending("served")])
        defer { server.stop() }
        let url = "http://127.0.0.1:\(port)"
        var listening = false
        for _ in 0..<100 where !listening {
            listening = try await ProcessRunner.run("/usr/bin/curl", ["-sf", "--max-time", "2", "-o", "/dev/null", url + "/flat.tar.gz"]).status == 0
            if !listening { try await Task.sleep(for: .milliseconds(100)) }
        }
        try #require(listening, "the buildpacks' HTTP server never answered on \(port)")
        let repo = try await fixture.repository(["README": "tarball buildpacks\n"])

        // Given an app whose buildpack is a GitHub-style archive, then one that is flat: both build
        for (app, file, name) in [("tarball1", "archived.tgz", "Archived"), ("tarball2", "flat.tar.gz", "Flat")] {
            try await fixture.createApp(app)
            try await fixture.admin(["buildpacks:set", app, "\(url)/\(file)"])
            let pushed = try await fixture.push(repo, app: app, environment: Self.hostNetwork)
            #expect(pushed.status == 0, "\(pushed.stderr)")
            #expect(pushed.stderr.contains("-----> \(name) app detected"), "\(pushed.stderr)")
            #expect(pushed.stderr.contains("-----> compiled by \(name)"), "\(pushed.stderr)")
            #expect(try await fixture.ref(app) != "")
            #expect(try await fixture.releases(app).last?.status == "succeeded")
        }

        // When the tarball is missing, is not gzip, or has no bin/compile: the push fails saying so, nothing moves
        for (app, file, says) in [
            ("tarball3", "missing.tgz", "404"), ("tarball4", "text.tgz", "gzip"), ("tarball5", "hollow.tgz", "has no bin/compile"),
        ] {
            try await fixture.createApp(app)
            try await fixture.admin(["buildpacks:set", app, "\(url)/\(file)"])
            let refused = try await fixture.push(repo, app: app, environment: Self.hostNetwork)
            #expect(refused.status != 0)
            #expect(refused.stderr.contains(says), "\(file): \(refused.stderr)")
            #expect(try await fixture.ref(app) == "")
            #expect(try await fixture.releases(app).count == 1, "only the app's first, empty release")
        }
    }
}
