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
        #expect(known.stdout.hasSuffix("\",restrict,pty \(fields[0]) \(fields[1])\n"))
        let other = stranger.publicKey.split(separator: " ").map(String.init)
        let unknown = try await ProcessRunner.run(
            OpenrukoBinary.path, ["authorized-keys", "--data-dir", bed.data, "git", other[0], other[1]])
        #expect(unknown.status == 0)
        #expect(unknown.stdout.isEmpty)
        let garbage = try await ProcessRunner.run(OpenrukoBinary.path, ["authorized-keys", "--data-dir", bed.data, "git", "ssh-rsa", "AAAA"])
        #expect(garbage.stdout.isEmpty)
    }
}

extension ThrowawaySSHD {
    /// sshd for `bed`'s data directory on a free port.
    convenience init(bed: Testbed, login: String) async throws {
        try await self.init(directory: bed.directory.path, dataDir: bed.data, login: login, port: try await bed.freePort())
    }
}
