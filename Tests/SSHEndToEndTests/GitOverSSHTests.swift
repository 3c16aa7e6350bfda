import Foundation
import TestSupport
import Testing

/// git push and clone through the embedded server with the real OpenSSH client and git.
@Suite(.timeLimit(.minutes(15))) struct GitOverSSHTests {
    @Test(arguments: ["ed25519", "ecdsa", "rsa"])
    func pushAndCloneWithEachKeyType(_ type: String) async throws {
        let bed = Testbed()
        let key = try await bed.user("dev@example.com", key: type)
        try await bed.app("web1", owner: "dev@example.com")
        let source = bed.directory.appending("source")
        let commit = try await GitFixture.repository(at: source)

        try await DaemonProcess.with(dataDir: bed.data) { daemon in
            let ssh = SSHClient(port: daemon.sshPort, key: key)
            // Each URL form git clients use for the same repository.
            try await GitFixture.git(["push", ssh.url("web1"), "main"], in: source, environment: ssh.gitEnvironment)
            #expect(try await GitFixture.commit(of: "refs/heads/main", inBare: bed.repo("web1")) == commit)
            try await GitFixture.git(["push", "git@127.0.0.1:web1.git", "main:other"], in: source, environment: ssh.gitEnvironment)
            #expect(try await GitFixture.commit(of: "refs/heads/other", inBare: bed.repo("web1")) == commit)

            let clone = bed.directory.appending("clone")
            try await GitFixture.git(["clone", "-q", ssh.url("web1"), clone], in: bed.directory.path, environment: ssh.gitEnvironment)
            #expect(try await GitFixture.git(["rev-parse", "HEAD"], in: clone).trimmingCharacters(in: .whitespacesAndNewlines) == commit)
            #expect(FileManager.default.contents(atPath: clone + "/Procfile") == Data(GitFixture.webApp["Procfile"]!.utf8))
        }
    }

    @Test func refusalsSayWhyAndChangeNothing() async throws {
        let bed = Testbed()
        let owner = try await bed.user("owner@example.com")
        let stranger = try await bed.user("stranger@example.com")
        try await bed.app("web1", owner: "owner@example.com")
        let unknown = try await TestKey.generate("ed25519", in: bed.directory.path)
        let source = bed.directory.appending("source")
        try await GitFixture.repository(at: source)
        let reposBefore = try FileManager.default.contentsOfDirectory(atPath: bed.data + "/repos").sorted()

        try await DaemonProcess.with(dataDir: bed.data) { daemon in
            func push(_ key: TestKey, _ url: String) async throws -> ProcessResult {
                let ssh = SSHClient(port: daemon.sshPort, key: key)
                return try await ProcessRunner.run(
                    "/usr/bin/git", ["-C", source, "push", url, "main"], environment: ssh.gitEnvironment)
            }
            let url = SSHClient(port: daemon.sshPort, key: owner).url("web1")

            let denied = try await push(unknown, url)
            #expect(denied.status != 0)
            #expect(denied.stderr.contains("Permission denied (publickey)"), "\(denied.stderr)")
            let direct = try await SSHClient(port: daemon.sshPort, key: unknown).run("whoami")
            #expect(direct.status == 255)
            #expect(direct.stderr.contains("Permission denied (publickey)"))

            let noAccess = try await push(stranger, url)
            #expect(noAccess.status != 0)
            #expect(noAccess.stderr.contains(" !     Couldn't find that app."), "\(noAccess.stderr)")
            let noAccessClone = try await ProcessRunner.run(
                "/usr/bin/git", ["clone", url, bed.directory.appending("x")],
                environment: SSHClient(port: daemon.sshPort, key: stranger).gitEnvironment)
            #expect(noAccessClone.stderr.contains(" !     Couldn't find that app."), "\(noAccessClone.stderr)")

            let missing = try await push(owner, SSHClient(port: daemon.sshPort, key: owner).url("nope"))
            #expect(missing.status != 0)
            #expect(missing.stderr.contains(" !     Couldn't find that app."), "\(missing.stderr)")

            let ssh = SSHClient(port: daemon.sshPort, key: owner)
            let unknownCommand = try await ssh.run("frobnicate now")
            #expect(unknownCommand.status == 1)
            #expect(unknownCommand.stderr == " !     'frobnicate' is not an openruko command. See 'help'.\n")

            for hostile in [
                "git-receive-pack '../web1.git'", "git-receive-pack '/etc/passwd'", "git-upload-pack '\(bed.repo("web1"))'",
                "git-receive-pack 'web1.git'; touch /tmp/openruko-pwned", "git-receive-pack \"web1.git\"",
                "git-upload-pack 'web1.git' 'other.git'", "git-receive-pack '$(touch /tmp/openruko-pwned)'",
            ] {
                let result = try await ssh.run(hostile)
                #expect(result.status == 1, "\(hostile)")
                #expect(result.stderr.hasPrefix(" !     Invalid repository"), "\(hostile): \(result.stderr)")
                #expect(!result.stderr.contains(bed.data) || hostile.contains(bed.data), "never a server path the client did not send")
            }
            #expect(!FileManager.default.fileExists(atPath: "/tmp/openruko-pwned"))

            let shell = try await ProcessRunner.run("/usr/bin/ssh", ssh.options + ["-T", "git@127.0.0.1"])
            #expect(shell.status == 1)
            #expect(shell.stderr.contains("openruko has no shell"))
            let pty = try await ProcessRunner.run("/usr/bin/ssh", ssh.options + ["-tt", "git@127.0.0.1", "whoami"])
            #expect(pty.stdout.contains("owner@example.com") || pty.stderr.contains("PTY allocation request failed"))
        }
        #expect(try await GitFixture.commit(of: "refs/heads/main", inBare: bed.repo("web1")) == nil, "nothing was pushed")
        #expect(try FileManager.default.contentsOfDirectory(atPath: bed.data + "/repos").sorted() == reposBefore)
    }
}
