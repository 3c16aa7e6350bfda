import OpenrukoCore
import SSHFrontend
import Testing

@Suite(.timeLimit(.minutes(15))) struct ShellWordsTests {
    @Test func splitsLikeAShellWithoutRunningOne() throws {
        #expect(try ShellWords.split("apps") == ["apps"])
        #expect(try ShellWords.split("  config:set  web1\tA=1  ") == ["config:set", "web1", "A=1"])
        #expect(try ShellWords.split(#"config:set web1 "A=b c""#) == ["config:set", "web1", "A=b c"])
        #expect(try ShellWords.split("config:set web1 'A=it''s'") == ["config:set", "web1", "A=its"])
        #expect(try ShellWords.split(#"config:set web1 A=b\ c"#) == ["config:set", "web1", "A=b c"])
        #expect(try ShellWords.split(#"x "a \"q\" \$HOME \n""#) == ["x", #"a "q" $HOME \n"#])
        #expect(try ShellWords.split(#"x '' """#) == ["x", "", ""])
        #expect(try ShellWords.split("apps; rm -rf /") == ["apps;", "rm", "-rf", "/"])
        #expect(try ShellWords.split("") == [])
    }

    @Test func refusesUnterminatedQuotes() {
        #expect(throws: ShellWords.Malformed.self) { try ShellWords.split(#"config:set web1 "A=b"#) }
        #expect(throws: ShellWords.Malformed.self) { try ShellWords.split("x 'open") }
        #expect(throws: ShellWords.Malformed.self) { try ShellWords.split(#"x \"#) }
    }
}

@Suite(.timeLimit(.minutes(15))) struct ExecRequestTests {
    @Test(arguments: [
        ("git-receive-pack 'web1.git'", GitService.receivePack),
        ("git-receive-pack '/web1.git'", .receivePack),
        ("git-receive-pack web1", .receivePack),
        ("git-receive-pack /web1.git", .receivePack),
        ("git-upload-pack 'web1.git'", .uploadPack),
        ("git-upload-pack '/web1'", .uploadPack),
    ])
    func acceptsTheFormsGitClientsSend(_ command: String, _ service: GitService) {
        #expect(ExecRequest(parsing: command) == .git(service, app: "web1"))
    }

    @Test(arguments: [
        "git-receive-pack '../web1.git'", "git-receive-pack '/srv/repos/web1.git'", "git-receive-pack '//web1.git'",
        "git-receive-pack \"web1.git\"", "git-receive-pack ''web1.git''", "git-receive-pack 'web1.git", "git-receive-pack web1.git'",
        "git-receive-pack 'web1.git'; rm -rf /", "git-receive-pack $(id).git", "git-receive-pack `id`", "git-receive-pack web1|x",
        "git-receive-pack 'web1.git' extra", "git-upload-pack web1&&x", "git-upload-pack ~root", "git-upload-pack 'Web1.git'",
        "git-upload-pack '.git'", "git-upload-pack", "git-receive-pack 'a/../web1.git'",
    ])
    func refusesEverythingElseInTheRepositoryArgument(_ command: String) {
        guard case .refused(let message) = ExecRequest(parsing: command) else {
            Issue.record("\(command) was not refused")
            return
        }
        #expect(message.hasPrefix("Invalid repository") || message.hasPrefix("Usage:"), "\(message)")
    }

    @Test func sendsEveryOtherStringToTheCommandTable() {
        #expect(ExecRequest(parsing: "apps:create web1") == .command(["apps:create", "web1"]))
        #expect(ExecRequest(parsing: #"config:set web1 "A=b c""#) == .command(["config:set", "web1", "A=b c"]))
        #expect(ExecRequest(parsing: "git-shell") == .command(["git-shell"]))
        #expect(ExecRequest(parsing: "git-upload-archive 'web1.git'") == .command(["git-upload-archive", "web1.git"]))
        #expect(ExecRequest(parsing: "") == .command([]))
        if case .refused = ExecRequest(parsing: #"config:set web1 "A=b"#) {} else { Issue.record("unterminated quote accepted") }
    }
}
