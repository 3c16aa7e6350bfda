import Foundation
import TestSupport
import Testing

/// OpenSSH mode: a throwaway sshd on a loopback port, configured with the snippet shipped
/// in `etc/sshd-openruko.conf` (its user and paths substituted), asks
/// `openruko authorized-keys` about keys and runs `openruko ssh-command`.
/// sshd must run as root (it switches to the login user); CI runs as root.
@Suite(.enabled(if: getuid() == 0, "sshd needs root"), .timeLimit(.minutes(15))) struct OpenSSHModeTests {
    @Test func pushesThroughSshdAndARevokedKeyIsRefusedOnTheNextConnection() async throws {
        let bed = Testbed()
        let key = try await bed.user("dev@example.com")
        try await bed.app("web1", owner: "dev@example.com")
        let source = bed.directory.appending("source")
        let commit = try await GitFixture.repository(at: source)
        let login = NSUserName()

        let sshd = try await ThrowawaySSHD(bed: bed, login: login)
        defer { sshd.stop() }
        let ssh = SSHClient(port: sshd.port, key: key, user: login)

        let whoami = try await ssh.run("whoami")
        #expect(whoami.status == 0, "\(whoami.stderr)\n\(sshd.log)")
        #expect(whoami.stdout == "dev@example.com\n")
        let refused = try await ssh.run("git-upload-pack '../web1.git'")
        #expect(refused.status == 1)
        #expect(refused.stderr.hasPrefix(" !     Invalid repository"))
        let noShell = try await ProcessRunner.run("/usr/bin/ssh", ssh.options + ["-T", "\(login)@127.0.0.1"])
        #expect(noShell.status != 0)
        #expect(noShell.stderr.contains("openruko has no shell"), "\(noShell.stderr)")

        try await GitFixture.git(["push", "\(login)@127.0.0.1:web1.git", "main"], in: source, environment: ssh.gitEnvironment)
        #expect(try await GitFixture.commit(of: "refs/heads/main", inBare: bed.repo("web1")) == commit)
        let clone = bed.directory.appending("clone")
        try await GitFixture.git(["clone", "-q", "ssh://\(login)@127.0.0.1:\(sshd.port)/web1.git", clone], in: bed.directory.path, environment: ssh.gitEnvironment)
        #expect(FileManager.default.fileExists(atPath: clone + "/README"))

        let fingerprint = try #require(try await bed.admin("keys", "--user", "dev@example.com").stdout
            .split(separator: " ").first { $0.hasPrefix("SHA256:") }.map(String.init))
        let removed = try await bed.admin("keys:remove", fingerprint, "--user", "dev@example.com")
        #expect(removed.status == 0, "\(removed.stderr)")
        let after = try await ssh.run("whoami")
        #expect(after.status == 255)
        #expect(after.stderr.contains("Permission denied (publickey)"), "\(after.stderr)")
    }

    @Test func authorizedKeysPrintsALineOnlyForRegisteredKeys() async throws {
        let bed = Testbed()
        let key = try await bed.user("dev@example.com")
        let stranger = try await TestKey.generate("ecdsa", in: bed.directory.path)
        let fields = key.publicKey.split(separator: " ").map(String.init)
        let known = try await ProcessRunner.run(
            OpenrukoBinary.path, ["authorized-keys", "--data-dir", bed.data, "git", fields[0], fields[1]])
        #expect(known.status == 0)
        #expect(known.stdout.hasPrefix("command=\""))
        #expect(known.stdout.contains(" ssh-command --data-dir \(bed.data) --key-id "))
        #expect(known.stdout.hasSuffix("\",restrict \(fields[0]) \(fields[1])\n"))
        let other = stranger.publicKey.split(separator: " ").map(String.init)
        let unknown = try await ProcessRunner.run(
            OpenrukoBinary.path, ["authorized-keys", "--data-dir", bed.data, "git", other[0], other[1]])
        #expect(unknown.status == 0)
        #expect(unknown.stdout.isEmpty)
        let garbage = try await ProcessRunner.run(OpenrukoBinary.path, ["authorized-keys", "--data-dir", bed.data, "git", "ssh-rsa", "AAAA"])
        #expect(garbage.stdout.isEmpty)
    }
}

/// sshd on 127.0.0.1 with a config made of a few test lines plus the shipped snippet. It
/// runs daemonized (`-E` log file, `PidFile`): in the foreground it would close the
/// descriptor Foundation's Process watches, which then blocks reaping every other child.
final class ThrowawaySSHD: Sendable {
    let port: Int
    private let logPath: String
    private let pidPath: String
    /// A root-owned directory holding the `AuthorizedKeysCommand` wrapper.
    private let commandDirectory: String

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    init(bed: Testbed, login: String) async throws {
        port = try await bed.freePort()
        logPath = bed.directory.appending("sshd.log")
        pidPath = bed.directory.appending("sshd.pid")
        let hostKey = bed.directory.appending("sshd_host_key")
        let made = try await ProcessRunner.run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", hostKey])
        try #require(made.status == 0)
        let binary = URL(fileURLWithPath: OpenrukoBinary.path).resolvingSymlinksInPath().path
        // sshd runs an AuthorizedKeysCommand only from a root-owned path that nobody else can
        // write, all the way up (a checkout under /tmp fails that): a wrapper in /run that
        // execs this build's binary, as an installed /usr/local/bin/openruko would be.
        commandDirectory = "/run/openruko-test-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: commandDirectory, withIntermediateDirectories: false)
        chmod(commandDirectory, 0o755)
        let wrapper = commandDirectory + "/openruko"
        try "#!/bin/sh\nexec '\(binary)' \"$@\"\n".write(toFile: wrapper, atomically: true, encoding: .utf8)
        chmod(wrapper, 0o755)
        let snippet = try String(contentsOfFile: OpenrukoBinary.packageRoot + "/etc/sshd-openruko.conf", encoding: .utf8)
            .replacingOccurrences(of: "Match User git", with: "Match User \(login)")
            .replacingOccurrences(of: "AuthorizedKeysCommandUser git", with: "AuthorizedKeysCommandUser \(login)")
            .replacingOccurrences(of: "/usr/local/bin/openruko", with: wrapper)
            .replacingOccurrences(of: "/var/lib/openruko", with: bed.data)
        let config = """
            Port \(port)
            ListenAddress 127.0.0.1
            HostKey \(hostKey)
            PidFile \(pidPath)
            UsePAM no
            StrictModes no
            PermitRootLogin forced-commands-only
            LogLevel VERBOSE

            """ + snippet
        let configPath = try bed.script("sshd_config", config)
        try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)
        let check = try await ProcessRunner.run("/usr/sbin/sshd", ["-t", "-f", configPath])
        try #require(check.status == 0, "sshd -t: \(check.stderr)")
        let started = try await ProcessRunner.run("/usr/sbin/sshd", ["-f", configPath, "-E", logPath])
        try #require(started.status == 0, "sshd: \(started.stderr)")
        let listening = await bed.eventually(seconds: 10) { [logPath] in
            ((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "").contains("Server listening on")
        }
        try #require(listening, "sshd did not start: \(log)")
    }

    func stop() {
        if let text = try? String(contentsOfFile: pidPath, encoding: .utf8), let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
            kill(pid, SIGTERM)
        }
        try? FileManager.default.removeItem(atPath: commandDirectory)
    }
}
