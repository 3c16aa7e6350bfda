import Foundation
import Testing
import TestSupport

extension RuntimeEndToEnd {
    /// The README's first start, from the outside: a fresh data directory and a home with an SSH
    /// key, `scripts/first-admin` (what `scripts/run` does before the daemon), the daemon, then
    /// the quickstart commands through to the `curl` (ports are the test daemon's).
    @Suite(.timeLimit(.minutes(15))) struct FirstStartTests {
        @Test func theQuickstartWorksOnAFreshDataDirectory() async throws {
            let directory = TemporaryDirectory("openruko-first")
            let home = directory.appending("home")
            try FileManager.default.createDirectory(atPath: home + "/.ssh", withIntermediateDirectories: true)
            let key = try await TestKey.generate("ed25519", in: home + "/.ssh", name: "id_ed25519")
            let dataDir = directory.appending("data")
            let environment = ["HOME": home, "OPENRUKO_DATA_DIR": dataDir, "OPENRUKO_ADMIN_EMAIL": "me@example.com"]
            let first = try await ProcessRunner.run(
                OpenrukoBinary.packageRoot + "/scripts/first-admin", [OpenrukoBinary.path], environment: environment)
            #expect(first.status == 0, "\(first.stderr)")
            #expect(first.stdout.contains("created the first admin me@example.com with 1 key(s)"), "\(first.stdout)")
            #expect(first.stdout.contains("ssh -p 2222 git@localhost apps:create myapp"))
            let again = try await ProcessRunner.run(
                OpenrukoBinary.packageRoot + "/scripts/first-admin", [OpenrukoBinary.path], environment: environment)
            #expect(again.status == 0 && again.stdout.isEmpty, "a second start adds nobody: \(again.stdout)")

            let daemon = RunningDaemon(dataDir: dataDir)
            try await daemon.start()
            defer { Task { await daemon.stop() } }
            let sshPort = try #require(daemon.ready["ssh"]?.split(separator: ":").last.map(String.init))
            let httpPort = try #require(daemon.ready["router"]?.split(separator: ":").last.map(String.init))
            // ssh finds keys through the passwd entry's home, not $HOME: name the key.
            let ssh = "ssh -i \(key.privateKeyPath) -o IdentitiesOnly=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"
            let created = try await ProcessRunner.run(
                "/bin/sh", ["-c", "\(ssh) -p \(sshPort) git@localhost apps:create myapp"], environment: environment)
            #expect(created.status == 0, "\(created.stderr)")
            let app = directory.appending("your-app")
            try FileManager.default.createDirectory(atPath: app, withIntermediateDirectories: true)
            for (name, text) in TestApp.files() { try text.write(toFile: app + "/" + name, atomically: true, encoding: .utf8) }
            let steps = [
                "git init -q -b main", "git add -A", "git -c user.email=me@example.com -c user.name=me commit -qm first",
                "git remote add openruko ssh://git@localhost:\(sshPort)/myapp.git", "git push openruko main",
            ]
            let pushed = try await ProcessRunner.run(
                "/bin/sh", ["-c", steps.joined(separator: " && ")],
                environment: environment.merging(["GIT_SSH_COMMAND": ssh]) { _, new in new }, directory: app)
            #expect(pushed.status == 0, "\(pushed.stderr)")
            let served = try await ProcessRunner.run("/usr/bin/curl", ["-s", "-m", "10", "http://myapp.localhost:\(httpPort)/"])
            #expect(served.stdout.contains("\"dyno\": \"web.1\""), "\(served.stdout)")
        }
    }
}
