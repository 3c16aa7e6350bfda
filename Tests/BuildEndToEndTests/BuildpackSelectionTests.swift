import Foundation
import Testing
import TestSupport

/// Buildpacks given by URL: a `file://` git buildpack pinned with `#ref`, two buildpacks
/// where the second sees the first's `export`, and buildpacks that refuse or fail.
@Suite(.serialized, .timeLimit(.minutes(15))) struct BuildpackSelectionTests {
    /// A buildpack whose files are `bin/NAME → script`.
    func buildpack(_ fixture: BuildFixture, _ scripts: [String: String]) async throws -> String {
        var files: [String: String] = [:]
        for (name, body) in scripts { files["bin/" + name] = "+x #!/usr/bin/env bash\n" + body }
        return try await fixture.repository(files, name: "buildpack")
    }

    @Test func gitBuildpackAtARefThenADirectoryBuildpackThatSeesItsExport() async throws {
        let fixture = try await BuildFixture.make()
        try await fixture.createApp("multi1")
        let first = try await buildpack(fixture, [
            "detect": "echo First\n",
            "compile": "echo \"       first compiling in $1 (STACK=$STACK, HOME=$HOME, SOURCE_VERSION=$SOURCE_VERSION)\"\nls \"$3\"\necho \"SECRET=$(cat \"$3/SECRET\") in env: ${SECRET:-no}\"\necho 'export FROM_FIRST=hello-from-first' > \"$(dirname \"$0\")/../export\"\n",
            "release": "printf -- '---\\ndefault_process_types:\\n  web: echo first-default\\n  worker: echo first-worker\\n'\n",
        ])
        try await fixture.git(["tag", "v1"], in: first)
        try fixture.write(["bin/detect": "+x #!/usr/bin/env bash\necho WrongRef\n"], to: first)
        try await fixture.commit(first, "moved on")
        let second = try await buildpack(fixture, [
            "detect": "echo Second\n",
            "compile": "echo \"second sees FROM_FIRST=${FROM_FIRST:-unset}\"\n",
            "release": "printf -- '---\\ndefault_process_types:\\n  web: echo second-default\\n'\n",
        ])
        try await fixture.admin(["config:set", "multi1", "SECRET=s3cr3t"])
        try await fixture.admin(["buildpacks:set", "multi1", "file://\(first)#v1", second])
        let repo = try await fixture.repository(["Procfile": "worker: echo from-procfile\n"])
        let result = try await fixture.push(repo, app: "multi1")
        #expect(result.status == 0, "\(result.stderr)")
        let commit = try await fixture.ref("multi1")
        for line in [
            "-----> Using buildpacks:", "1. file://\(first)#v1", "-----> First app detected", "STACK=host, HOME=/app",
            "SOURCE_VERSION=\(commit)", "SECRET=s3cr3t in env: no", "-----> Second app detected",
            "second sees FROM_FIRST=hello-from-first", "Procfile declares types     -> worker",
            "Default types for buildpack -> web",
        ] {
            #expect(result.stderr.contains(line), "missing \(line.debugDescription) in:\n\(result.stderr)")
        }
        #expect(!result.stderr.contains("WrongRef"))
        // The last buildpack's defaults fill in; the Procfile wins for the types it declares.
        let slug = try await fixture.latestSlug("multi1")
        #expect(try await fixture.entries(ofSlug: slug).contains("./Procfile"))
        let output = try await fixture.admin(["builds:output", "multi1"])
        #expect(output.stdout.contains("second sees FROM_FIRST=hello-from-first"))
    }

    @Test func failedBuildsRejectThePushAndKeepTheRunningRelease() async throws {
        let fixture = try await BuildFixture.make()
        try await fixture.createApp("fail1")
        let repo = try await fixture.repository(["Procfile": "web: ./run.sh\n", "run.sh": "+x #!/bin/sh\necho hi\n"])
        let good = try await fixture.push(repo, app: "fail1")
        #expect(good.status == 0, "\(good.stderr)")
        let deployed = try await fixture.ref("fail1")
        let releases = try await fixture.releases("fail1")
        #expect(releases.map(\.version) == [1, 2])

        func expectRejected(_ result: ProcessResult, _ lines: [String]) async throws {
            #expect(result.status != 0)
            #expect(result.stderr.contains("pre-receive hook declined"))
            for line in lines { #expect(result.stderr.contains(line), "missing \(line.debugDescription) in:\n\(result.stderr)") }
            #expect(try await fixture.ref("fail1") == deployed)
            #expect(try await fixture.releases("fail1").map(\.version) == [1, 2])
        }

        try fixture.write(["README": "change\n"], to: repo)
        try await fixture.commit(repo, "second")
        let refusing = try await buildpack(fixture, ["detect": "echo 'this buildpack needs a Gemfile' >&2; exit 1\n", "compile": "exit 0\n"])
        try await fixture.admin(["buildpacks:set", "fail1", refusing])
        try await expectRejected(
            try await fixture.push(repo, app: "fail1"),
            ["-----> App not compatible with buildpack: \(refusing)", "this buildpack needs a Gemfile", " !     Push failed"])

        let failing = try await buildpack(fixture, ["detect": "echo Broken\n", "compile": "echo 'compiling...'; exit 3\n"])
        try await fixture.admin(["buildpacks:set", "fail1", failing])
        try await expectRejected(
            try await fixture.push(repo, app: "fail1"),
            ["-----> Broken app detected", "compiling...", " !     Push rejected, failed to compile Broken app."])

        let big = try await buildpack(fixture, ["detect": "echo Big\n", "compile": "head -c 300000 /dev/urandom > \"$1/noise.bin\"\n"])
        try await fixture.admin(["buildpacks:set", "fail1", big])
        let tooBig = try await fixture.push(repo, app: "fail1", environment: ["OPENRUKO_SLUG_MAX_BYTES": "104858"])
        try await expectRejected(tooBig, [" !     Compiled slug size: 0.3M is too large (max is 0.1M).", "./noise.bin"])
        let slugs = try FileManager.default.contentsOfDirectory(atPath: fixture.dataDir + "/slugs/fail1")
        #expect(slugs.count == 1, "\(slugs)")

        try await fixture.admin(["buildpacks:set", "fail1"])
        try fixture.write(["Procfile": ""], to: repo)
        try FileManager.default.removeItem(atPath: repo + "/Procfile")
        try await fixture.commit(repo, "no procfile")
        try await expectRejected(try await fixture.push(repo, app: "fail1"), [" !     No default language could be detected for this app."])

        try fixture.write(["Dockerfile": "FROM debian:12\n"], to: repo)
        try await fixture.commit(repo, "dockerfile")
        // No buildpack detected and a Dockerfile: a container build, which an admin must allow
        // where container builds are for allowed apps only…
        try await expectRejected(
            try await fixture.push(repo, app: "fail1", environment: ["OPENRUKO_CONTAINER_BUILDS": "admin"]),
            [" !     Container builds (Dockerfile, heroku.yml) are off for fail1"])
        // …and whose base image is not here.
        try await fixture.admin(["apps:container-builds", "fail1", "on"])
        try await expectRejected(
            try await fixture.push(repo, app: "fail1"),
            ["-----> Building Docker image (Dockerfile)", " !     The base image debian:12 is not in openruko's image store"])

        let builds = try await fixture.admin(["builds", "fail1", "--json"])
        #expect(builds.stdout.components(separatedBy: "\"failed\"").count - 1 == 6, "\(builds.stdout)")
    }

    @Test func otherRefsAreStoredButNotDeployed() async throws {
        let fixture = try await BuildFixture.make()
        try await fixture.createApp("refs1")
        let repo = try await fixture.repository(["README": "x\n"])
        try await fixture.git(["checkout", "-q", "-b", "feature"], in: repo)
        let result = try await fixture.push(repo, app: "refs1", ref: "feature")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("Storing refs/heads/feature without deploying it"))
        #expect(!(try await fixture.ref("refs1", "refs/heads/feature")).isEmpty)
        #expect(try await fixture.releases("refs1").count == 1)
    }
}
