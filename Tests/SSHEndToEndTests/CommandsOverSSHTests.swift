import Foundation
import TestSupport
import Testing

/// The command table over SSH, acting as the key's user.
@Suite(.timeLimit(.minutes(15))) struct CommandsOverSSHTests {
    @Test func anAdminAddsAUserAndAKeyAndThatUserPushes() async throws {
        let bed = Testbed()
        let adminKey = try await bed.user("admin@example.com", admin: true)
        let bobKey = try await TestKey.generate("ed25519", in: bed.directory.path, name: "bob")
        let source = bed.directory.appending("source")
        let commit = try await GitFixture.repository(at: source)

        try await DaemonProcess.with(dataDir: bed.data) { daemon in
            let admin = SSHClient(port: daemon.sshPort, key: adminKey)
            #expect(try await admin.run("whoami").stdout == "admin@example.com\n")
            let created = try await admin.run("users:create bob@example.com")
            #expect(created.status == 0, "\(created.stderr)")
            let added = try await admin.run("keys:add --user bob@example.com", input: bobKey.publicKey)
            #expect(added.status == 0, "\(added.stderr)")
            #expect(added.stdout.contains("for bob@example.com"))

            let bob = SSHClient(port: daemon.sshPort, key: bobKey)
            #expect(try await bob.run("whoami").stdout == "bob@example.com\n")
            let app = try await bob.run("apps:create bobapp")
            #expect(app.status == 0, "\(app.stderr)")
            let config = try await bob.run(#"config:set bobapp "GREETING=hello world""#)
            #expect(config.status == 0, "\(config.stderr)")
            #expect(try await bob.run("config:get bobapp GREETING").stdout == "hello world\n")
            try await GitFixture.git(["push", bob.url("bobapp"), "main"], in: source, environment: bob.gitEnvironment)
            #expect(try await GitFixture.commit(of: "refs/heads/main", inBare: bed.repo("bobapp")) == commit)

            // A non-admin cannot add keys for someone else, nor see their apps.
            let other = try await TestKey.generate("ed25519", in: bed.directory.path, name: "other")
            let refused = try await bob.run("keys:add --user admin@example.com", input: other.publicKey)
            #expect(refused.status == 1)
            #expect(refused.stderr == " !     Only admins may add keys for other users.\n")
            let users = try await bob.run("users")
            #expect(users.status == 1)
            #expect(try await admin.run("keys --user admin@example.com").stdout.split(separator: "\n").count == 2, "unchanged")
        }
    }
}
