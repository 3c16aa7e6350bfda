import Foundation
import OpenrukoCore
@testable import Runtime
@testable import Isolation
import Testing

/// The pure parts of `run:inside` and of a container one-off's terminal: the script only the
/// joined shell reads, the user-namespace id mapping, and the bound host tools.
@Suite(.timeLimit(.minutes(2))) struct OneOffInsidePlanTests {
    @Test func theJoinScriptQuotesEveryValueAndDropsNonShellNames() {
        let join = SandboxJoin(
            bubblewrapPID: 42, command: ["/bin/bash", "-c", "echo 'hi'; $(x)"],
            environment: ["GOOD": "it's $(touch /x) `y`", "BAD-NAME": "1", "1X": "2", "PATH": "/usr/bin", "NUL": "a\0b"],
            workingDirectory: "/srv dir")
        let lines = join.script.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.first == "unset LANG PATH")
        #expect(lines.contains(#"export GOOD='it'\''s $(touch /x) `y`'"#))
        #expect(lines.contains("export PATH='/usr/bin'"))
        #expect(!join.script.contains("BAD-NAME") && !join.script.contains("1X=") && !join.script.contains("NUL="))
        #expect(lines.contains("cd -- '/srv dir' 2>/dev/null || cd /"))
        #expect(lines.contains(#"exec '/bin/bash' '-c' 'echo '\''hi'\''; $(x)'"#))
    }

    @Test func rootSwitchesToTheSandboxUserAndAnOrdinaryUserKeepsItsOwn() {
        let all = ["--user", "--mount", "--pid", "--net", "--uts", "--ipc", "--cgroup", "--root"]
        let root = SandboxJoin.nsenter(target: 7, bubblewrap: 6, uid: 1000, gid: 1001, switchesUser: true, bubblewrapInOwnUserNamespace: true)
        #expect(root == ["/usr/bin/nsenter", "--target", "7"] + all + ["--setuid", "1000", "--setgid", "1001", "--"])
        // Not root, bubblewrap under pasta: pasta's user namespace (bubblewrap's) first, credentials kept.
        let pasta = SandboxJoin.nsenter(target: 7, bubblewrap: 6, uid: 999, gid: 995, switchesUser: false, bubblewrapInOwnUserNamespace: false)
        #expect(
            pasta == ["/usr/bin/nsenter", "--target", "6", "--user", "--preserve-credentials", "--", "/usr/bin/nsenter", "--target", "7"] + all
                + ["--preserve-credentials", "--"])
        // Not root, bubblewrap in openruko's own user namespace: no way in.
        #expect(SandboxJoin.nsenter(target: 7, bubblewrap: 6, uid: 999, gid: 995, switchesUser: false, bubblewrapInOwnUserNamespace: true) == nil)
    }

    @Test func insideIDsComeFromTheNamespacesMap() {
        #expect(SandboxJoin.insideID(61000, map: "     61000      61000          1\n") == 61000)
        #expect(SandboxJoin.insideID(70001, map: "1000 70001 1\n") == 1000)
        #expect(SandboxJoin.insideID(5, map: "0 100 10\n") == nil)
        #expect(SandboxJoin.insideID(105, map: "garbage\n0 100 10\n") == 5)
    }

    @Test func boundToolsRunThroughTheLoaderFromTheirDirectory() {
        let wrapped = OneOffTerminal(size: TerminalSize(columns: 100, lines: 30), followsResizes: true, boundTools: true).wrap(["/bin/sh"])
        let directory = OneOffTerminal.Tools.directory
        #expect(Array(wrapped.prefix(4)) == [directory + "/ld.so", "--library-path", directory, directory + "/script"])
        #expect(wrapped[5].hasPrefix("'\(directory)/ld.so' '--library-path' '\(directory)' '\(directory)/stty' rows 30 cols 100"))
        if let tools = OneOffTerminal.Tools.host() {
            #expect(tools.binds.allSatisfy { !$0.writable && $0.target.hasPrefix(directory + "/") })
        }
    }
}
