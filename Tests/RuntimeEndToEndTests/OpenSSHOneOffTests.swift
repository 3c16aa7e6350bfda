import Foundation
import Testing
import TestSupport

extension RuntimeEndToEnd {
    /// One-off dynos in OpenSSH mode: the system's sshd (a throwaway one on a loopback port)
    /// runs `openruko ssh-command`, which starts the one-off in the daemon over the control
    /// socket and carries its bytes over the local rendezvous listener. As over the embedded
    /// server: a PTY with `ssh -t` (Ctrl-C reaches the process), pipes without, the exit
    /// status is ssh's; window changes reach the dyno's PTY; `run:detached` logs; other tenants
    /// and smuggled identities are refused.
    /// sshd must run as root (it switches to the login user); CI runs as root.
    @Suite(
        .enabled(if: getuid() == 0, "sshd needs root"), .timeLimit(.minutes(15))
    ) struct OpenSSHOneOffTests {
        /// The one-off scene behind a throwaway sshd: (scene, sshd, the admin's and mallory's clients).
        static func scene() async throws -> (OneOffTests.Scene, ThrowawaySSHD, SSHClient, SSHClient) {
            let scene = try await OneOffTests.scene()
            let fixture = scene.fixture
            let login = NSUserName()
            let sshd = try await ThrowawaySSHD(
                directory: fixture.directory.path, dataDir: fixture.dataDir, login: login, port: try await freePort())
            let admin = SSHClient(port: sshd.port, key: scene.admin.key, user: login)
            let mallory = SSHClient(port: sshd.port, key: scene.mallory.key, user: login)
            return (scene, sshd, admin, mallory)
        }

        static func terminal(_ client: SSHClient, _ command: String) -> [String] {
            ["/usr/bin/ssh"] + client.options + ["-tt", "\(client.user)@127.0.0.1", command]
        }

        @Test func runsWithATerminalAndWithPipes() async throws {
            let (scene, sshd, admin, _) = try await Self.scene()
            let fixture = scene.fixture
            defer {
                sshd.stop()
                Task { await fixture.daemon.stop() }
            }
            let driver = TerminalDriver(directory: fixture.directory.path)

            // ssh -tt: the dyno's bash has a pts of its own of the client's size and TERM;
            // Ctrl-C interrupts its foreground process; `exit 3` is ssh's status.
            let outcome = try await driver.run(
                Self.terminal(admin, "run tool bash"), rows: 33, columns: 101, environment: ["TERM": "xterm-256color"],
                steps: [
                    .send(#"echo "tty=[$(tty)] size=[$(stty size)] term=[$TERM]""# + "\r"),
                    .expect(#"tty=\[/dev/pts/[0-9]+\] size=\[33 101\] term=\[xterm-256color\]"#),
                ] + TerminalDriver.Step.interruptThenExit3)
            #expect(outcome.failedStep == nil, "\(outcome.transcript)\n\(sshd.log)")
            #expect(outcome.status == 3, "\(outcome.transcript)")

            // Without -t: pipes, stdin reaches the process, the status is ssh's.
            let plain = try await admin.run(#"run tool 'read l; echo "got-$l"; tty; exit 6'"#, input: "piped\n")
            #expect(plain.status == 6, "\(plain.stdout) \(plain.stderr)")
            #expect(plain.stdout.contains("got-piped") && plain.stdout.contains("not a tty"), "\(plain.stdout) \(plain.stderr)")
            let big = String(repeating: "0123456789abcdef", count: 65_536)  // 1 MiB of input, counted back
            let counted = try await admin.run("run tool wc -c", input: big)
            #expect(counted.status == 0 && counted.stdout.contains("1048576"), "\(counted.stdout) \(counted.stderr)")

            // run:detached: the output goes to the app's log as app[run.N].
            let detached = try await admin.run("run:detached tool echo detached-$GREETING")
            #expect(detached.status == 0, "\(detached.stderr)")
            let name = try #require(detached.stdout.split(separator: "\n").first?.split(separator: " ").last.map(String.init), "\(detached.stdout)")
            #expect(name.hasPrefix("run."), "\(detached.stdout)")
            try await fixture.eventually("detached output in the log") {
                try await fixture.log("tool").contains("app[\(name)]: detached-hello-from-config")
            }

            // run:inside: a process in the running web dyno, attached the same way.
            try await OneOffInsideTests.webUp(fixture)
            let inside = try await admin.run("run:inside tool web.1 'echo \"in-$DYNO\"; exit 4'")
            #expect(inside.status == 4 && inside.stdout.contains("in-web.1"), "\(inside.stdout) \(inside.stderr)")
        }

        @Test func windowChangesReachTheDyno() async throws {
            let (scene, sshd, admin, _) = try await Self.scene()
            let fixture = scene.fixture
            defer {
                sshd.stop()
                Task { await fixture.daemon.stop() }
            }
            let driver = TerminalDriver(directory: fixture.directory.path)
            // sshd resizes its PTY and signals ssh-command, which tells the daemon on the
            // one-off's control connection; the dyno's PTY follows, clamped like the embedded server's.
            let outcome = try await driver.run(
                Self.terminal(admin, "run tool bash"), rows: 33, columns: 101,
                steps: [
                    .send(#"echo "first=[$(stty size)]""# + "\r"),
                    .expect(#"first=\[33 101\]"#),
                    .resize(rows: 40, columns: 120),
                    .resend(#"echo "resized=[$(stty size)]""# + "\r", until: #"resized=\[40 120\]"#),
                    .resize(rows: 5000, columns: 3000),
                    .resend(#"echo "huge=[$(stty size)]""# + "\r", until: #"huge=\[1000 1000\]"#),
                    .send("exit 5\r"),
                ])
            #expect(outcome.failedStep == nil && outcome.status == 5, "\(outcome.transcript)\n\(sshd.log)")
        }

        @Test func anotherTenantAndSmuggledIdentitiesAreRefused() async throws {
            let (scene, sshd, admin, mallory) = try await Self.scene()
            let fixture = scene.fixture
            defer {
                sshd.stop()
                Task { await fixture.daemon.stop() }
            }
            let marker = fixture.directory.appending("pwned")

            // mallory cannot run on the admin's app, attached, detached or inside: as a missing app.
            for command in ["run tool id", "run:detached tool id", "run:inside tool web.1 id", "run -a tool id"] {
                let refused = try await mallory.run(command)
                #expect(refused.status == 1, "\(command): \(refused.stdout) \(refused.stderr)")
                #expect(refused.stderr.contains("Couldn't find that app"), "\(command): \(refused.stderr)")
                #expect(!refused.stdout.contains("uid="), "\(command): \(refused.stdout)")
            }
            // Identity never comes from the client: environment variables it sends (sshd's
            // SetEnv; `restrict` keeps them out anyway) or words in its command change nothing.
            let smuggled = try await mallory.run(
                "whoami", extra: ["-o", "SetEnv=SSH_ORIGINAL_COMMAND=run:detached", "-o", "SetEnv=OPENRUKO_USER=dev@example.com"])
            #expect(smuggled.stdout == "mallory@example.com\n", "\(smuggled.stdout) \(smuggled.stderr)")
            let disguised = try await mallory.run("run tool --key-id x id")
            #expect(disguised.status == 1 && !disguised.stdout.contains("uid="), "\(disguised.stdout) \(disguised.stderr)")

            // Shell metacharacters in the command are the tenant's own code inside its dyno: never on the host.
            let hostile = "touch \(marker); echo \"$(touch \(marker) 2>&1; echo sub)\" `touch \(marker)`; echo meta-done"
            let meta = try await admin.run("run tool \(TestShell.quote(hostile))")
            #expect(meta.status == 0 && meta.stdout.contains("meta-done"), "\(meta.stdout) \(meta.stderr)")
            let appName = try await admin.run("run 'tool;touch \(marker)' id")
            #expect(appName.status == 1 && appName.stderr.contains("Couldn't find that app"), "\(appName.stderr)")
            #expect(!FileManager.default.fileExists(atPath: marker), "a marker file appeared on the host")
        }
    }
}
