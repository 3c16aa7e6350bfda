import Foundation
import Testing
import TestSupport

/// Real pushes of apps for each bundled buildpack; each slug is extracted to a fresh `/app`
/// and its web process answers `/` from the sandbox.
@Suite(.serialized, .timeLimit(.minutes(15))) struct BundledBuildpackTests {
    @Test func pythonAppInstallsFromPyPIRunsUnderGunicornAndReusesTheCache() async throws {
        let fixture = try await BuildFixture.make()
        try await fixture.createApp("py1")
        let repo = try await fixture.repository([
            "requirements.txt": "gunicorn\n",
            "app.py": "def app(environ, start_response):\n    start_response('200 OK', [('Content-Type', 'text/plain')])\n    return [b'hello from python\\n']\n",
            "Procfile": "web: gunicorn app:app\n",
        ])
        let first = try await fixture.push(repo, app: "py1")
        #expect(first.status == 0, "\(first.stderr)")
        for line in [
            "-----> Building on the host stack", "-----> Python app detected",
            "-----> No Python version was specified. Using the buildpack default: Python 3.", " !     Warning: No Python version was specified.",
            "-----> Installing dependencies using 'pip install -r requirements.txt'", "Successfully installed gunicorn",
            "-----> Discovering process types", "Procfile declares types     -> web", "-----> Compressing...", "Done: ",
            "-----> Launching...", "Released v2", "http://py1.localhost:8080/ deployed to openruko",
        ] {
            #expect(first.stderr.contains(line), "missing \(line.debugDescription) in:\n\(first.stderr)")
        }
        let commit = try await fixture.ref("py1")
        let releases = try await fixture.releases("py1")
        #expect(releases.last?.description == "Deploy \(commit.prefix(7))")
        let body = try await fixture.fetchFromWebDyno(slug: try await fixture.latestSlug("py1"), command: "gunicorn app:app")
        #expect(body == "hello from python\n")

        try await fixture.commit(repo, "unchanged requirements")
        let second = try await fixture.push(repo, app: "py1")
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stderr.contains("-----> Restoring cache"))
        #expect(second.stderr.contains("-----> Using cached install of Python 3."))
        #expect(second.stderr.contains("-----> No Python version was specified. Using the same major version as the last build: Python 3."))
        #expect(!second.stderr.contains("Installing dependencies using"))
        #expect(second.stderr.contains("Released v3"))
    }

    @Test func nodeAppStartsWithItsStartScript() async throws {
        let fixture = try await BuildFixture.make()
        try await fixture.createApp("node1")
        let repo = try await fixture.repository([
            "package.json": #"{"name": "node1", "version": "1.0.0", "engines": {"node": "20.x"}, "scripts": {"start": "node server.js"}}"#,
            "server.js": "require('http').createServer((q, s) => s.end('hello from node\\n')).listen(process.env.PORT, '0.0.0.0');\n",
        ])
        let result = try await fixture.push(repo, app: "node1")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("-----> Node.js app detected"))
        #expect(result.stderr.contains("Procfile declares types     -> (none)"))
        #expect(result.stderr.contains("Default types for buildpack -> web"))
        let body = try await fixture.fetchFromWebDyno(slug: try await fixture.latestSlug("node1"), command: "npm start")
        #expect(body == "hello from node\n")
    }

    @Test func nodeInstallFailureSaysTheRegistryIsUnreachable() async throws {
        let fixture = try await BuildFixture.make()
        try await fixture.createApp("node2")
        let repo = try await fixture.repository([
            "package.json": #"{"name": "node2", "version": "1.0.0", "dependencies": {"left-pad": "1.3.0"}}"#
        ])
        let result = try await fixture.push(repo, app: "node2")
        #expect(result.status != 0)
        #expect(result.stderr.contains("failed, so the dependencies in package.json could not be installed"), "\(result.stderr)")
        #expect(result.stderr.contains(" !     Push rejected, failed to compile Node.js app."))
        #expect(try await fixture.ref("node2").isEmpty)
    }

    @Test func procfileAppDeploysItsFilesAsTheyAre() async throws {
        let fixture = try await BuildFixture.make()
        try await fixture.createApp("plain1")
        let repo = try await fixture.repository([
            "Procfile": "web: ./serve.sh\n",
            "serve.sh": "+x #!/bin/sh\ncd public && exec python3 -m http.server \"$PORT\" --bind 0.0.0.0\n",
            "public/index.html": "hello from a Procfile\n",
        ])
        let result = try await fixture.push(repo, app: "plain1")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("-----> Procfile app detected"))
        let slug = try await fixture.latestSlug("plain1")
        let body = try await fixture.fetchFromWebDyno(slug: slug, command: "./serve.sh", path: "/index.html")
        #expect(body == "hello from a Procfile\n")
    }
}
