import Foundation
import TestSupport
import Testing

/// A data directory with users and keys made through `openruko admin`, plus helpers to
/// run daemons, ssh, git and small Python peers against it.
struct Testbed {
    let directory = TemporaryDirectory("openruko-ssh")
    var data: String { directory.appending("data") }

    /// `openruko admin WORDS…` on this data directory.
    @discardableResult
    func admin(_ words: String..., input: String = "") async throws -> ProcessResult {
        try await OpenrukoBinary.admin(words, dataDir: data, input: input)
    }

    /// Creates a user with a fresh key of `type`.
    func user(_ email: String, admin: Bool = false, key type: String = "ed25519") async throws -> TestKey {
        let created = admin ? try await self.admin("users:create", email, "--admin") : try await self.admin("users:create", email)
        try #require(created.status == 0, "\(created.stderr)")
        let key = try await TestKey.generate(type, in: directory.path)
        let added = try await self.admin("keys:add", "--user", email, input: key.publicKey)
        try #require(added.status == 0, "\(added.stderr)")
        return key
    }

    /// Creates an app owned by `email`.
    func app(_ name: String, owner email: String) async throws {
        let created = try await admin("apps:create", name, "--user", email)
        try #require(created.status == 0, "\(created.stderr)")
    }

    /// The bare repository of an app.
    func repo(_ app: String) -> String { data + "/repos/\(app).git" }

    /// Runs a bash script (pipelines of real programs).
    func shell(_ script: String, environment: [String: String] = [:]) async throws -> ProcessResult {
        try await ProcessRunner.run("/bin/bash", ["-c", "set -o pipefail\n" + script], environment: environment, directory: directory.path)
    }

    /// Writes a helper script into the test directory and returns its path.
    func script(_ name: String, _ text: String) throws -> String {
        let path = directory.appending(name)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// `count` bytes from /dev/urandom in a file; returns its path and SHA-256.
    func randomFile(_ name: String, mebibytes: Int) async throws -> (path: String, sha256: String) {
        let path = directory.appending(name)
        let made = try await shell("head -c \(mebibytes)M /dev/urandom > \(path) && sha256sum \(path)")
        try #require(made.status == 0, "\(made.stderr)")
        return (path, String(made.stdout.prefix(64)))
    }

    /// A free TCP port on 127.0.0.1 (bound then released).
    func freePort() async throws -> Int {
        let result = try await ProcessRunner.run(
            "/usr/bin/python3",
            // Outside the kernel's ephemeral range (32768-60999) and the dyno ports (20000-29999):
            // a daemon or client of a parallel test binding port 0 cannot take it meanwhile.
            ["-c", "import random, socket\nwhile True:\n  s = socket.socket(); p = random.randint(10000, 19999)\n  try: s.bind(('127.0.0.1', p)); break\n  except OSError: s.close()\nprint(p)"])
        return try #require(Int(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    /// Processes other than `except` whose command line or working directory lies in the
    /// data directory (git children of the daemon).
    func processesInDataDirectory(except: Int32) -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> String? in
            guard let pid = Int32(entry), pid != except, pid != getpid() else { return nil }
            let raw = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") ?? Data()
            let command = String(decoding: raw.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
            let cwd = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd")) ?? ""
            guard command.contains(data + "/") || cwd.hasPrefix(data + "/") else { return nil }
            return "\(pid) \(command)"
        }
    }

    /// Waits (up to `seconds`) until `condition` holds; returns whether it did.
    /// TCP connections to `port` on loopback that are established now (`ss`, from the clients' side).
    func establishedConnections(to port: Int) async throws -> Int {
        let listed = try await ProcessRunner.run("/usr/bin/ss", ["-Htn", "state", "established", "( dport = :\(port) )"])
        return listed.stdout.split(separator: "\n").count
    }

    /// TCP connections the server on `port` holds open (established, or closed by the client
    /// and not yet by the server); those it closed itself (FIN-WAIT, TIME-WAIT for 60 s) are let go.
    func establishedConnections(from port: Int) async throws -> Int {
        let listed = try await ProcessRunner.run(
            "/usr/bin/ss", ["-Htn", "state", "established", "state", "close-wait", "( sport = :\(port) )"])
        return listed.stdout.split(separator: "\n").count
    }

    func eventually(seconds: Double = 20, _ condition: () async throws -> Bool) async rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await condition() { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return try await condition()
    }
}
