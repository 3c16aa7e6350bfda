import Foundation
import OpenrukoCore
import Isolation
import TestSupport

/// A data directory with an admin and apps, real git repositories to push from, and the
/// push itself through `GitService`'s receive-pack invocation (so the real hook runs).
struct BuildFixture: Sendable {
    let directory: TemporaryDirectory
    let userID: String
    var dataDir: String { directory.appending("data") }

    /// A data directory with one admin (the pusher).
    static func make() async throws -> BuildFixture {
        let directory = TemporaryDirectory("openruko-build")
        let dataDir = directory.appending("data")
        _ = try await OpenrukoBinary.admin(["users:create", "dev@example.com", "--admin"], dataDir: dataDir)
        let users = try await OpenrukoBinary.admin(["users", "--json"], dataDir: dataDir)
        let list = try JSONSerialization.jsonObject(with: Data(users.stdout.utf8)) as? [[String: Any]]
        guard let id = list?.first?["id"] as? String else { throw TestFailure("no user id in \(users.stdout)") }
        return BuildFixture(directory: directory, userID: id)
    }

    /// `openruko admin WORDS…`, failing the test on a non-zero exit unless allowed.
    @discardableResult
    func admin(_ words: [String], allowFailure: Bool = false) async throws -> ProcessResult {
        let result = try await OpenrukoBinary.admin(words, dataDir: dataDir)
        if result.status != 0 && !allowFailure { throw TestFailure("admin \(words) failed: \(result.stderr)") }
        return result
    }

    /// Creates an app.
    func createApp(_ name: String) async throws {
        try await admin(["apps:create", name])
    }

    /// A new git work tree with `files` (path → contents; a leading `+x ` marks executables),
    /// committed on `main`.
    func repository(_ files: [String: String], name: String = "app") async throws -> String {
        try await WorkTree.create(in: directory, files, name: name)
    }

    /// Writes files into a work tree.
    func write(_ files: [String: String], to path: String) throws {
        try WorkTree.write(files, to: path)
    }

    /// Commits everything in the work tree.
    func commit(_ path: String, _ message: String) async throws {
        try await WorkTree.commit(path, message)
    }

    @discardableResult
    func git(_ arguments: [String], in path: String) async throws -> ProcessResult {
        try await WorkTree.git(arguments, in: path)
    }

    /// `git push` of `ref` to the app's repository through openruko's receive-pack invocation.
    func push(_ path: String, app: String, ref: String = "main", environment: [String: String] = [:]) async throws
        -> ProcessResult
    {
        let invocation = GitService.receivePack.invocation(
            app: app, layout: DataLayout(root: dataDir), resources: Resources(root: OpenrukoBinary.packageRoot), pusher: userID,
            executable: OpenrukoBinary.path)
        let env = invocation.environment.merging(environment) { _, new in new }
        let command = (["env"] + env.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" } + [invocation.executable]
            + invocation.arguments.dropLast()).joined(separator: " ")
        return try await ProcessRunner.run(
            "/usr/bin/git", ["push", "--receive-pack=\(command)", invocation.arguments.last!, ref], directory: path)
    }

    /// The commit a ref of the app's bare repository points to ("" when it does not exist).
    func ref(_ app: String, _ name: String = "refs/heads/main") async throws -> String {
        let result = try await ProcessRunner.run("/usr/bin/git", ["--git-dir", dataDir + "/repos/\(app).git", "rev-parse", "--verify", "-q", name])
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The app's releases as `(version, description, status, slug id)`.
    func releases(_ app: String) async throws -> [(version: Int, description: String, status: String, slug: String?)] {
        let result = try await admin(["releases", app, "--json"])
        let list = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]] ?? []
        return list.map {
            (($0["version"] as? Int) ?? 0, ($0["description"] as? String) ?? "", ($0["status"] as? String) ?? "",
             ($0["slug_id"] as? String)?.lowercased())
        }.sorted { $0.version < $1.version }
    }

    /// The slug file of the app's newest release.
    func latestSlug(_ app: String) async throws -> String {
        guard let slug = try await releases(app).last?.slug else { throw TestFailure("\(app) has no slug") }
        return dataDir + "/slugs/\(app)/\(slug).tgz"
    }

    /// Lists a slug's entries.
    func entries(ofSlug path: String) async throws -> [String] {
        let result = try await ProcessRunner.run("/usr/bin/tar", ["-tzf", path])
        if result.status != 0 { throw TestFailure("tar -tzf failed: \(result.stderr)") }
        return result.stdout.split(separator: "\n").map(String.init)
    }

    /// Extracts a slug into a fresh `/app` and runs `command` there like a web dyno (in the
    /// sandbox, `.profile.d` sourced, `bash -c`), then fetches `/` from it.
    func fetchFromWebDyno(slug: String, command: String, path: String = "/") async throws -> String {
        let app = directory.appending("dyno-" + UUID().uuidString.prefix(6).lowercased())
        try FileManager.default.createDirectory(atPath: app, withIntermediateDirectories: true)
        let untar = try await ProcessRunner.run("/usr/bin/tar", ["-xzf", slug, "-C", app])
        if untar.status != 0 { throw TestFailure("tar -xzf failed: \(untar.stderr)") }
        let sandbox = try Sandbox(stateDirectory: directory.appending("sandbox"))
        if sandbox.identity.switchesUser {
            _ = try await ProcessRunner.run("/bin/chown", ["-R", "\(sandbox.identity.uid):\(sandbox.identity.gid)", app])
        }
        let port = try await Self.freePort()
        let launcher = #"for f in /app/.profile.d/*.sh; do [ -f "$f" ] && . "$f"; done; [ -f /app/.profile ] && . /app/.profile; exec bash -c "$1""#
        let configuration = SandboxConfiguration(
            command: ["/bin/bash", "-c", launcher, "bash", command],
            environment: ["PATH": SandboxConfiguration.defaultPath, "HOME": "/app", "PORT": String(port), "DYNO": "web.1"],
            app: .directory(app), timeLimit: .seconds(60), gracePeriod: .seconds(2))
        let log = Collected()
        let dyno = Task { try await sandbox.run(configuration) { log.append($0) } }
        defer { dyno.cancel() }
        for _ in 0..<100 {
            let result = try await ProcessRunner.run("/usr/bin/curl", ["-sf", "--max-time", "2", "http://127.0.0.1:\(port)\(path)"])
            if result.status == 0 {
                dyno.cancel()
                _ = try? await dyno.value
                return result.stdout
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw TestFailure("the web dyno never answered on \(port); it printed:\n\(log.text)")
    }

    static func freePort() async throws -> Int {
        let result = try await ProcessRunner.run(
            "/usr/bin/python3", ["-c", "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])"])
        guard let port = Int(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) else { throw TestFailure("no port") }
        return port
    }
}

/// Output collected from a sandbox.
final class Collected: @unchecked Sendable {
    // @unchecked: `data` is only touched while holding `lock`.
    private let lock = NSLock()
    private var data = Data()
    func append(_ chunk: Data) { lock.withLock { data.append(chunk) } }
    var text: String { lock.withLock { String(decoding: data, as: UTF8.self) } }
}
