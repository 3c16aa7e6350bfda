import Foundation
import OpenrukoCore
import TestSupport

/// A data directory with an admin, a running daemon, app repositories to push, and ways to
/// look at the dynos: `ps --json`, the log, and HTTP to an app.
final class RuntimeFixture: Sendable {
    let directory: TemporaryDirectory
    let userID: String
    let daemon: RunningDaemon
    var dataDir: String { directory.appending("data") }

    private init(directory: TemporaryDirectory, userID: String, daemon: RunningDaemon) {
        self.directory = directory
        self.userID = userID
        self.daemon = daemon
    }

    /// A data directory with one admin and a started daemon.
    static func start(environment: [String: String] = [:]) async throws -> RuntimeFixture {
        let directory = TemporaryDirectory("openruko-runtime")
        let dataDir = directory.appending("data")
        _ = try await OpenrukoBinary.admin(["users:create", "dev@example.com", "--admin"], dataDir: dataDir)
        let users = try await OpenrukoBinary.admin(["users", "--json"], dataDir: dataDir)
        let list = try JSONSerialization.jsonObject(with: Data(users.stdout.utf8)) as? [[String: Any]]
        guard let id = list?.first?["id"] as? String else { throw TestFailure("no user id in \(users.stdout)") }
        // Each daemon its own block of dyno ports, so daemons side by side do not race.
        var settings = RunningDaemon.testEnvironment.merging(environment) { _, new in new }
        settings["OPENRUKO_DYNO_PORTS"] = settings["OPENRUKO_DYNO_PORTS"] ?? DynoPortBlocks.next()
        let daemon = RunningDaemon(dataDir: dataDir, environment: settings)
        try await daemon.start()
        return RuntimeFixture(directory: directory, userID: id, daemon: daemon)
    }

    /// `openruko admin WORDS…`, failing the test on a non-zero exit unless allowed.
    @discardableResult
    func admin(_ words: [String], input: String = "", allowFailure: Bool = false) async throws -> ProcessResult {
        try await OpenrukoBinary.checkedAdmin(words, dataDir: dataDir, input: input, allowFailure: allowFailure)
    }

    /// A new git work tree with `files` (path → contents; `+x ` marks executables) on `main`.
    func repository(_ files: [String: String]) async throws -> String {
        try await WorkTree.create(in: directory, files)
    }

    /// Writes files into a work tree and commits them.
    func change(_ path: String, _ files: [String: String], message: String = "change") async throws {
        try write(files, to: path)
        try await commit(path, message)
    }

    func write(_ files: [String: String], to path: String) throws {
        try WorkTree.write(files, to: path)
    }

    func commit(_ path: String, _ message: String) async throws {
        try await WorkTree.commit(path, message)
    }

    @discardableResult
    func git(_ arguments: [String], in path: String) async throws -> ProcessResult {
        try await WorkTree.git(arguments, in: path)
    }

    /// `git push` of main through openruko's receive-pack invocation (the real hook runs).
    func push(_ path: String, app: String) async throws -> ProcessResult {
        let invocation = GitService.receivePack.invocation(
            app: app, layout: DataLayout(root: dataDir), resources: Resources(root: OpenrukoBinary.packageRoot), pusher: userID,
            executable: OpenrukoBinary.path)
        let command = (["env"] + invocation.environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            + [invocation.executable] + invocation.arguments.dropLast()).joined(separator: " ")
        return try await ProcessRunner.run(
            "/usr/bin/git", ["push", "--receive-pack=\(command)", invocation.arguments.last!, "main"], directory: path)
    }

    /// Creates an app and pushes `files` to it; fails the test if the push is rejected.
    @discardableResult
    func deploy(_ app: String, _ files: [String: String]) async throws -> String {
        try await admin(["apps:create", app])
        let repo = try await repository(files)
        let result = try await push(repo, app: app)
        if result.status != 0 { throw TestFailure("push to \(app) rejected:\n\(result.stderr)") }
        return repo
    }

    /// The app's dynos (`ps --json`).
    func dynos(_ app: String) async throws -> [(name: String, state: String, release: Int)] {
        let result = try await admin(["ps", app, "--json"])
        let list = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]] ?? []
        return list.map { (($0["name"] as? String) ?? "", ($0["state"] as? String) ?? "", ($0["release_version"] as? Int) ?? 0) }
    }

    /// The app's log as the daemon holds it.
    func log(_ app: String) async throws -> String {
        try await admin(["logs", app, "-n", "1500"]).stdout
    }

    /// The app's releases as `(version, status)`.
    func releases(_ app: String) async throws -> [(version: Int, status: String)] {
        let result = try await admin(["releases", app, "--json"])
        let list = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]] ?? []
        return list.map { (($0["version"] as? Int) ?? 0, ($0["status"] as? String) ?? "") }.sorted { $0.version < $1.version }
    }

    /// Polls `condition` every 200 ms until it holds (or 60 s pass: then the test fails with `what`).
    func eventually(_ what: String, _ condition: () async throws -> Bool) async throws {
        for _ in 0..<300 {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw TestFailure("timed out waiting for: \(what)")
    }
}
