import Foundation
import OpenrukoCore
import TestSupport

/// openruko run by an ordinary user (`openruko-pasta`, made when missing), as an admin would
/// without root: the daemon, its admin commands and git pushes all run as that user. The
/// daemon and the pushes run in a private mount namespace whose `/dev/net/tun` is mode 0666
/// (Debian's default; this machine's is root's only), so pasta can run; nothing on the host
/// changes.
final class UnprivilegedFixture: Sendable {
    static let user = "openruko-pasta"
    let directory: TemporaryDirectory
    let uid: UInt32
    let gid: UInt32
    let userID: String
    let daemon: DaemonProcess
    let environment: [String: String]
    /// The mode of `/dev/net/tun` for the daemon and the pushes.
    let tun: String
    var dataDir: String { directory.appending("data") }

    private init(
        directory: TemporaryDirectory, uid: UInt32, gid: UInt32, userID: String, daemon: DaemonProcess, environment: [String: String],
        tun: String
    ) {
        self.tun = tun
        self.directory = directory
        self.uid = uid
        self.gid = gid
        self.userID = userID
        self.daemon = daemon
        self.environment = environment
    }

    /// The test user's uid and gid, made with `useradd` when missing.
    static func account() async throws -> (uid: UInt32, gid: UInt32) {
        if getpwnam(user) == nil {
            let made = try await ProcessRunner.run(
                "/usr/sbin/useradd", ["--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", user])
            guard made.status == 0 || getpwnam(user) != nil else { throw TestFailure("useradd \(user): \(made.stderr)") }
        }
        guard let entry = getpwnam(user) else { throw TestFailure("no user \(user)") }
        return (entry.pointee.pw_uid, entry.pointee.pw_gid)
    }

    /// `command` as the test user (`HOME` in the test's directory); with `tun`, in a mount
    /// namespace where `/dev/net/tun` has that mode (`666`: usable by everyone, Debian's
    /// default; `600`: root's only).
    static func asUser(_ command: [String], uid: UInt32, gid: UInt32, home: String, tun: String?) -> [String] {
        let drop = ["/usr/bin/setpriv", "--reuid=\(uid)", "--regid=\(gid)", "--init-groups", "/usr/bin/env", "HOME=" + home] + command
        guard let tun else { return drop }
        let script = "mount -t tmpfs -o mode=755 tmpfs /dev/net && mknod -m \(tun) /dev/net/tun c 10 200 && exec \"$@\""
        return ["/usr/bin/unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", script, "sh"] + drop
    }

    /// A data directory of the test user's with one admin, and its daemon started.
    static func start(environment extra: [String: String] = [:], tun: String = "666") async throws -> UnprivilegedFixture {
        let (uid, gid) = try await account()
        let directory = TemporaryDirectory("openruko-pasta")
        let dataDir = directory.appending("data")
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        chmod(directory.path, 0o755)
        chown(directory.path, uid, gid)
        chown(dataDir, uid, gid)
        let admin = asUser([OpenrukoBinary.path, "admin", "--data-dir", dataDir], uid: uid, gid: gid, home: directory.path, tun: nil)
        for words in [["users:create", "dev@example.com", "--admin"]] {
            let result = try await ProcessRunner.run(admin[0], Array(admin.dropFirst()) + words)
            guard result.status == 0 else { throw TestFailure("admin \(words): \(result.stderr)") }
        }
        let users = try await ProcessRunner.run(admin[0], Array(admin.dropFirst()) + ["users", "--json"])
        let list = try JSONSerialization.jsonObject(with: Data(users.stdout.utf8)) as? [[String: Any]]
        guard let id = list?.first?["id"] as? String else { throw TestFailure("no user id in \(users.stdout) \(users.stderr)") }
        var environment = RunningDaemon.testEnvironment.merging(extra) { _, new in new }
        environment["OPENRUKO_DYNO_PORTS"] = environment["OPENRUKO_DYNO_PORTS"] ?? DynoPortBlocks.next()
        let launcher = asUser([OpenrukoBinary.path], uid: uid, gid: gid, home: directory.path, tun: tun)
        let daemon = try await DaemonProcess.start(
            executable: launcher[0], subcommand: Array(launcher.dropFirst()) + ["daemon"], dataDir: dataDir,
            arguments: ["--router-tls-listen", "127.0.0.1:0", "--rendezvous-listen", "127.0.0.1:0"], environment: environment)
        return UnprivilegedFixture(directory: directory, uid: uid, gid: gid, userID: id, daemon: daemon, environment: environment, tun: tun)
    }

    /// `openruko admin WORDS…` as the test user, failing the test on a non-zero exit.
    @discardableResult
    func admin(_ words: [String]) async throws -> ProcessResult {
        let command = Self.asUser(
            [OpenrukoBinary.path, "admin", "--data-dir", dataDir] + words, uid: uid, gid: gid, home: directory.path, tun: nil)
        let result = try await ProcessRunner.run(command[0], Array(command.dropFirst()))
        if result.status != 0 { throw TestFailure("admin \(words) failed: \(result.stderr)\(result.stdout)") }
        return result
    }

    /// Creates `app` and pushes `files` to it as the test user (its build runs under pasta).
    func deploy(_ app: String, _ files: [String: String]) async throws {
        try await admin(["apps:create", app])
        let result = try await push(app, files)
        if result.status != 0 { throw TestFailure("push to \(app) rejected:\n\(result.stderr)") }
    }

    /// Pushes `files` to `app` as the test user (a new repository each time).
    func push(_ app: String, _ files: [String: String]) async throws -> ProcessResult {
        let repo = try await WorkTree.create(in: directory, files)
        _ = try await ProcessRunner.run("/usr/bin/chown", ["-R", "\(uid):\(gid)", repo])
        let invocation = GitService.receivePack.invocation(
            app: app, layout: DataLayout(root: dataDir), resources: Resources(root: OpenrukoBinary.packageRoot), pusher: userID,
            executable: OpenrukoBinary.path)
        let receive = (["env"] + invocation.environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            + [invocation.executable] + invocation.arguments.dropLast()).joined(separator: " ")
        let command = Self.asUser(
            ["/usr/bin/git", "-C", repo, "push", "--receive-pack=\(receive)", invocation.arguments.last!, "main"], uid: uid, gid: gid,
            home: directory.path, tun: tun)
        return try await ProcessRunner.run(command[0], Array(command.dropFirst()))
    }

    /// `GET path` through the daemon's router as `APP.localhost`: the status and body, or nil.
    func routed(_ app: String, _ path: String = "/") async throws -> RoutedAnswer? {
        try await RoutedAnswer.get(router: "127.0.0.1:\(daemon.routerPort)", app, path)
    }

    /// What `url` gives from inside `app`'s web dyno (see `TestApp`'s `/fetch`): an HTTP
    /// status, or nil when the dyno could not connect.
    func fetch(_ app: String, _ url: String) async throws -> Int? {
        let query = url.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? url
        var said = "no answer"
        for _ in 0..<3 {
            let answer = try await routed(app, "/fetch?url=" + query)
            if let answer, answer.status == 200, let json = answer.json { return json["status"] as? Int }
            said = answer.map { "\($0.status) \($0.body.prefix(300))" } ?? "no answer within 10 s"
        }
        throw TestFailure("the router did not bring \(app)'s answer for \(url): \(said)")
    }

    /// The app's log as the daemon holds it.
    func log(_ app: String) async throws -> String {
        try await admin(["logs", app, "-n", "1500"]).stdout
    }

    /// The port and address of `app`'s web dyno (from its last `listening on PORT as web.1 at
    /// ADDRESS` line: the address of its network namespace).
    func webListener(_ app: String) async throws -> (port: Int, address: String)? {
        try await log(app).split(separator: "\n").compactMap { line -> (Int, String)? in
            guard let range = line.range(of: "]: listening on ") else { return nil }
            let words = line[range.upperBound...].split(separator: " ")
            guard words.count == 5, let port = Int(words[0]) else { return nil }
            return (port, String(words[4]))
        }.last
    }

    /// The port of `app`'s web dyno.
    func webPort(_ app: String) async throws -> Int? { try await webListener(app)?.port }

    /// The test user's pasta processes of this data directory (pid and command line).
    func pastas() -> [(pid: Int32, command: String)] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { entry in
            guard let pid = Int32(entry), let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline"),
                let status = try? String(contentsOfFile: "/proc/\(entry)/status", encoding: .utf8),
                let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Uid:") }),
                line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first == Substring(String(uid))
            else { return nil }
            let command = String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
            let program = command.split(separator: " ").first?.split(separator: "/").last ?? ""
            // This data directory's (another test's daemon may still be stopping).
            guard program.hasPrefix("pasta") || program.hasPrefix("passt"), command.contains(" --pid \(dataDir)/") else { return nil }
            return (pid, command)
        }
    }

    /// Polls `condition` every 200 ms for up to 60 s; fails the test with `what` otherwise.
    func eventually(_ what: String, _ condition: () async throws -> Bool) async throws {
        for _ in 0..<300 {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw TestFailure("timed out waiting for: \(what)")
    }
}
