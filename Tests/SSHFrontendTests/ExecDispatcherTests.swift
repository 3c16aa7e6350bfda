import Foundation
import OpenrukoCore
import Operations
import SSHFrontend
import TestSupport
import Testing

@Suite(.timeLimit(.minutes(15))) struct ExecDispatcherTests {
    let installation: TestInstallation
    let dispatcher: ExecDispatcher
    let owner: User
    let stranger: User
    let admin: User

    init() throws {
        installation = try TestInstallation()
        let (admin, user) = try installation.seedUsers()
        self.admin = admin
        owner = user
        stranger = try installation.platform.createUser(email: "stranger@example.com", admin: false, as: .superuser)
        _ = try installation.platform.createApp(name: "web1", owner: user.email, as: .superuser)
        try FileManager.default.createDirectory(atPath: installation.layout.repo("web1"), withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: installation.layout.repo("web1") + "/HEAD", contents: Data("ref: refs/heads/main\n".utf8))
        dispatcher = ExecDispatcher(
            platform: installation.platform, resources: Resources(root: "/opt/openruko"), executable: "/opt/openruko/bin/openruko")
    }

    @Test func ownersAndAdminsGetGitSpawnedOnTheBareRepository() throws {
        for user in [owner, admin] {
            let program = dispatcher.program(for: .git(.receivePack, app: "web1"), as: user, gitProtocol: "version=2")
            guard case .git(let invocation) = program else {
                Issue.record("\(program)")
                return
            }
            // receive-pack through openruko, which execs git with the app's build lock open.
            #expect(invocation.executable == "/opt/openruko/bin/openruko")
            #expect(
                invocation.arguments == [
                    "hook", "receive-pack", "/usr/bin/git", "-c", "core.hooksPath=/opt/openruko/hooks", "receive-pack",
                    installation.layout.repo("web1"),
                ])
            #expect(invocation.environment["OPENRUKO_PUSHER"] == user.id.uuidString.lowercased())
            #expect(invocation.environment["OPENRUKO_APP"] == "web1")
            #expect(invocation.environment["OPENRUKO_BIN"] == "/opt/openruko/bin/openruko")
            #expect(invocation.environment["GIT_PROTOCOL"] == "version=2")
        }
    }

    @Test func uploadPackNeedsTheSameAccessAsReceivePack() {
        #expect(dispatcher.program(for: .git(.uploadPack, app: "web1"), as: stranger) == .refusal("Couldn't find that app."))
        #expect(dispatcher.program(for: .git(.receivePack, app: "web1"), as: stranger) == .refusal("Couldn't find that app."))
        #expect(dispatcher.program(for: .git(.uploadPack, app: "nope"), as: owner) == .refusal("Couldn't find that app."))
    }

    @Test func collaboratorsMayPush() throws {
        _ = try installation.platform.addCollaborator("web1", email: stranger.email, as: .superuser)
        guard case .git = dispatcher.program(for: .git(.receivePack, app: "web1"), as: stranger) else {
            Issue.record("a collaborator was refused")
            return
        }
    }

    @Test func aMissingRepositoryIsOurMessageNotGits() throws {
        _ = try installation.platform.createApp(name: "web2", owner: owner.email, as: .superuser)
        guard case .refusal(let message) = dispatcher.program(for: .git(.receivePack, app: "web2"), as: owner) else {
            Issue.record("spawned git on a missing repository")
            return
        }
        #expect(!message.contains(installation.layout.root))
    }

    @Test func unsafeGitProtocolValuesAreDropped() {
        guard case .git(let invocation) = dispatcher.program(for: .git(.uploadPack, app: "web1"), as: owner, gitProtocol: "v2; rm") else {
            Issue.record("refused")
            return
        }
        #expect(invocation.environment["GIT_PROTOCOL"] == nil)
        #expect(invocation.executable == "/usr/bin/git")
        #expect(invocation.arguments == ["-c", "core.hooksPath=/opt/openruko/hooks", "upload-pack", installation.layout.repo("web1")])
        #expect(ExecDispatcher.isSafeProtocol("version=2:object-format=sha1"))
    }

    @Test func commandsAndRefusalsPassThrough() {
        #expect(dispatcher.program(for: .command(["apps"]), as: owner) == .command(["apps"]))
        #expect(dispatcher.program(for: .refused("no"), as: owner) == .refusal("no"))
    }

    @Test func authorizedKeysLinesForceTheCommandAndRestrict() throws {
        let line = try #require(try installation.platform.addKey(
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGXvVHuaBYW6n0uzK3XLTlTFmqcMR0cfbcbbzh2gJY0w laptop", name: nil, user: owner.email,
            as: .superuser) as SSHKey?)
        let rendered = try #require(AuthorizedKeysLine.render(key: line, executable: "/usr/bin/openruko", dataDir: "/var/lib/o r", api: nil))
        #expect(
            rendered == "command=\"/usr/bin/openruko ssh-command --data-dir '/var/lib/o r' --key-id \(line.id.uuidString.lowercased())\","
                + "restrict,pty ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGXvVHuaBYW6n0uzK3XLTlTFmqcMR0cfbcbbzh2gJY0w")
        let forwarding = try #require(
            AuthorizedKeysLine.render(key: line, executable: "/b", dataDir: "/d", api: ListenAddress(host: "127.0.0.1", port: 5000)))
        #expect(forwarding.contains(#",restrict,pty,port-forwarding,permitopen="127.0.0.1:5000",permitopen="localhost:5000","#))
        #expect(AuthorizedKeysLine.render(key: line, executable: "/b\"x", dataDir: "/d", api: nil) == nil)
    }
}
