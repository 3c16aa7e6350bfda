import Foundation
import TestSupport
import Testing

/// A data directory with a user and key, a running daemon, a local base image in
/// openruko's buildah store (no registry is reachable: `buildah from scratch` + Debian's
/// static busybox), and pushes over the real OpenSSH client to the embedded SSH server.
final class ContainerFixture: Sendable {
    let directory: TemporaryDirectory
    let daemon: DaemonProcess
    let ssh: SSHClient
    /// Whether `dataDir` is a filesystem of its own (unmounted at `stop`).
    let ownFilesystem: Bool
    var dataDir: String { directory.appending("data") }

    /// The local base image every test Dockerfile may start `FROM`.
    static let baseImage = "localhost/openruko-test/busybox"
    /// Debian's static busybox (package busybox-static).
    static let busybox = "/bin/busybox"

    private init(directory: TemporaryDirectory, daemon: DaemonProcess, ssh: SSHClient, ownFilesystem: Bool) {
        self.directory = directory
        self.daemon = daemon
        self.ssh = ssh
        self.ownFilesystem = ownFilesystem
    }

    /// A data directory with one admin, its key, the base image and a started daemon.
    /// - Parameter ownFilesystem: a tmpfs of this size (`mount -o size=`) as the data directory,
    ///   so that no other test's writes or deletions show in its filesystem's figures.
    static func start(environment: [String: String] = [:], ownFilesystem: String? = nil) async throws -> ContainerFixture {
        let directory = TemporaryDirectory("openruko-container")
        let dataDir = directory.appending("data")
        if let size = ownFilesystem {
            try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
            let mounted = try await ProcessRunner.run("/usr/bin/mount", ["-t", "tmpfs", "-o", "size=\(size),mode=0711", "openruko-test", dataDir])
            try #require(mounted.status == 0, "\(mounted.stderr)")
        }
        do {
            _ = try await OpenrukoBinary.admin(["users:create", "dev@example.com", "--admin"], dataDir: dataDir)
            let key = try await TestKey.generate("ed25519", in: directory.path)
            let added = try await OpenrukoBinary.admin(["keys:add", "--user", "dev@example.com"], dataDir: dataDir, input: key.publicKey)
            try #require(added.status == 0, "\(added.stderr)")
            try await makeBaseImage(dataDir: dataDir)
            let daemon = try await DaemonProcess.start(dataDir: dataDir, environment: environment)
            return ContainerFixture(
                directory: directory, daemon: daemon, ssh: SSHClient(port: daemon.sshPort, key: key), ownFilesystem: ownFilesystem != nil)
        } catch {
            if ownFilesystem != nil { _ = try? await ProcessRunner.run("/usr/bin/umount", ["--lazy", dataDir]) }
            throw error
        }
    }

    /// `buildah` on the data directory's store, as openruko runs it.
    static func buildah(_ arguments: [String], dataDir: String) async throws -> ProcessResult {
        let result = try await ProcessRunner.run(
            "/usr/bin/buildah",
            ["--root", dataDir + "/containers/storage", "--runroot", dataDir + "/run/containers", "--storage-driver", "vfs"] + arguments)
        if result.status != 0 { throw TestFailure("buildah \(arguments) failed: \(result.stderr)") }
        return result
    }

    /// The image store of the one app that has built (`DATA_DIR/containers/apps/UID`, as root):
    /// the app's uid and the store's directory.
    func appStore() throws -> (uid: UInt32, path: String) {
        let apps = dataDir + "/containers/apps"
        let names = try FileManager.default.contentsOfDirectory(atPath: apps)
        guard names.count == 1, let uid = UInt32(names[0]) else { throw TestFailure("expected one app store in \(apps): \(names)") }
        return (uid, apps + "/" + names[0])
    }

    /// The host id an app's container build is root as: its own 65536 ids above 1048576.
    static func mappedRoot(appUID: UInt32) -> UInt32 { 1_048_576 + (appUID - 70000) * 65536 }

    /// `buildah` on app `uid`'s store, with its id map, as openruko runs it.
    func appBuildah(_ arguments: [String], appUID uid: UInt32) async throws -> ProcessResult {
        let map = "0:\(Self.mappedRoot(appUID: uid)):65536"
        let result = try await ProcessRunner.run(
            "/usr/bin/buildah",
            [
                "--userns-uid-map", map, "--userns-gid-map", map, "--root", dataDir + "/containers/apps/\(uid)/storage", "--runroot",
                dataDir + "/run/containers/apps/\(uid)", "--storage-driver", "vfs",
            ] + arguments)
        if result.status != 0 { throw TestFailure("buildah \(arguments) failed: \(result.stderr)") }
        return result
    }

    /// `FROM scratch`, busybox with its applet links, committed as `baseImage`.
    static func makeBaseImage(dataDir: String) async throws {
        let container = try await buildah(["from", "scratch"], dataDir: dataDir).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try await buildah(["copy", container, busybox, "/bin/busybox"], dataDir: dataDir)
        _ = try await buildah(["run", "--isolation", "chroot", container, "/bin/busybox", "--install", "-s", "/bin"], dataDir: dataDir)
        _ = try await buildah(["commit", "--quiet", container, baseImage], dataDir: dataDir)
        _ = try await buildah(["rm", container], dataDir: dataDir)
    }

    func stop() async {
        await daemon.stop()
        if ownFilesystem { _ = try? await ProcessRunner.run("/usr/bin/umount", ["--lazy", dataDir]) }
    }

    /// `openruko admin WORDS…`, failing the test on a non-zero exit unless allowed.
    @discardableResult
    func admin(_ words: [String], input: String = "", allowFailure: Bool = false) async throws -> ProcessResult {
        try await OpenrukoBinary.checkedAdmin(words, dataDir: dataDir, input: input, allowFailure: allowFailure)
    }

    /// A new git work tree with `files` (path → contents; `+x ` marks executables; a value
    /// `@FILE` copies that host file, `->TARGET` makes a symlink) committed on `main`.
    func repository(_ files: [String: String]) async throws -> String {
        try await WorkTree.create(in: directory, files)
    }

    /// Writes files into a work tree and commits them.
    func change(_ path: String, _ files: [String: String], message: String = "change") async throws {
        try WorkTree.write(files, to: path)
        try await WorkTree.commit(path, message)
    }

    @discardableResult
    func git(_ arguments: [String], in path: String) async throws -> ProcessResult {
        try await WorkTree.git(arguments, in: path)
    }

    /// `git push` of main over SSH.
    func push(_ path: String, app: String) async throws -> ProcessResult {
        try await ProcessRunner.run("/usr/bin/git", ["push", ssh.url(app), "main"], environment: ssh.gitEnvironment, directory: path)
    }

    /// The commit `main` of the app's bare repository points to, if any.
    func ref(_ app: String) async throws -> String? {
        try await GitFixture.commit(of: "refs/heads/main", inBare: dataDir + "/repos/\(app).git")
    }

    /// HEAD of a work tree.
    func head(_ path: String) async throws -> String {
        try await git(["rev-parse", "HEAD"], in: path).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A GET through the router: `(status, body)`, nil when nothing answered.
    func routed(_ app: String, _ path: String = "/") async throws -> (status: Int, body: String)? {
        let result = try await ProcessRunner.run(
            "/usr/bin/curl",
            ["-s", "--max-time", "10", "-H", "Host: \(app).localhost", "-w", "\n%{http_code}", "http://127.0.0.1:\(daemon.routerPort)\(path)"])
        guard result.status == 0, let newline = result.stdout.lastIndex(of: "\n"),
            let status = Int(result.stdout[result.stdout.index(after: newline)...])
        else { return nil }
        return (status, String(result.stdout[..<newline]))
    }

    /// The app's log as the daemon holds it.
    func log(_ app: String) async throws -> String {
        try await admin(["logs", app, "-n", "1500"]).stdout
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
