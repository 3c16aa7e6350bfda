import Foundation
import Testing
import TestSupport

extension RuntimeEndToEnd {
    /// `ssh -t … run APP CMD` with the real OpenSSH client on a real terminal: the one-off gets
    /// a PTY of the client's size and `TERM`, follows its window changes, Ctrl-C interrupts the
    /// foreground process, and the command's exit status is ssh's; hostile terminal requests.
    @Suite(.timeLimit(.minutes(15))) struct OneOffTerminalTests {
        static func ssh(_ scene: OneOffTests.Scene, _ command: String) -> [String] {
            ["/usr/bin/ssh"] + scene.admin.options + ["-tt", "git@127.0.0.1", command]
        }

        @Test func sshWithATerminalGetsARealPTY() async throws {
            let scene = try await OneOffTests.scene()
            let fixture = scene.fixture
            defer { Task { await fixture.daemon.stop() } }
            let driver = TerminalDriver(directory: fixture.directory.path)

            // Given a 33×101 terminal: the dyno's bash has a pts of its own of that size and the client's TERM.
            let outcome = try await driver.run(
                Self.ssh(scene, "run tool bash"), rows: 33, columns: 101, environment: ["TERM": "xterm-256color"],
                steps: [
                    .send(#"echo "tty=[$(tty)] size=[$(stty size)] term=[$TERM] env=[$COLUMNS/$LINES]""# + "\r"),
                    .expect(#"tty=\[/dev/pts/[0-9]+\] size=\[33 101\] term=\[xterm-256color\] env=\[101/33\]"#),
                    // When the window changes, the PTY follows (SIGWINCH reaches the dyno's processes).
                    .resize(rows: 40, columns: 120),
                    .resend(#"echo "resized=[$(stty size)]""# + "\r", until: #"resized=\[40 120\]"#),
                ] + TerminalDriver.Step.interruptThenExit3)
            #expect(outcome.failedStep == nil, "\(outcome.transcript)")
            #expect(outcome.status == 3, "\(outcome.transcript)")

            // A command given with -t (no interactive shell): its status too, and its output on the terminal.
            let short = try await driver.run(Self.ssh(scene, #"run tool 'echo "short=[$(tty)]"; exit 5'"#), steps: [.expect(#"short=\[/dev/pts/"#)])
            #expect(short.failedStep == nil && short.status == 5, "\(short.transcript)")
            // Other commands on a terminal get terminal line ends (the client's terminal is raw).
            let apps = try await driver.run(Self.ssh(scene, "apps"), steps: [.expect("tool")])
            let bytes = Array(apps.transcript.utf8)
            let bareLineFeeds = bytes.indices.filter { bytes[$0] == 10 && ($0 == 0 || bytes[$0 - 1] != 13) }
            #expect(apps.status == 0 && bytes.contains(10) && bareLineFeeds.isEmpty, "\(apps.transcript.debugDescription)")
            // ... and stop at Ctrl-C, as on a terminal (an endless `logs -t` here).
            let tail = try await driver.run(Self.ssh(scene, "logs tool -t"), steps: [.expect(#"\]: "#), .send("\u{03}")])
            #expect(tail.failedStep == nil && tail.status != nil, "ssh ended after Ctrl-C: \(tail.transcript)")
            // Without -t, still a plain pipe: no terminal, same status rules.
            let plain = try await scene.admin.run(#"run tool 'tty; exit 6'"#)
            #expect(plain.status == 6 && plain.stdout.contains("not a tty"), "\(plain.stdout)")
        }

        @Test func hostileTerminalRequests() async throws {
            let scene = try await OneOffTests.scene()
            let fixture = scene.fixture
            defer { Task { await fixture.daemon.stop() } }
            let driver = TerminalDriver(directory: fixture.directory.path)
            let marker = fixture.directory.appending("pwned")

            // A TERM with shell metacharacters and a 0×0 terminal: TERM=dumb, 80×24, nothing run.
            let probe = #"echo "term=[$TERM] size=[$(stty size)]""# + "\r"
            let hostile = try await driver.run(
                Self.ssh(scene, "run tool bash"), rows: 0, columns: 0, environment: ["TERM": "xterm$(touch \(marker));`touch \(marker)`"],
                steps: [
                    .send(probe), .expect(#"term=\[dumb\] size=\[24 80\]"#),
                    // An absurd window change is clamped to 1000×1000.
                    .resize(rows: 65535, columns: 65535),
                    .resend(#"echo "huge=[$(stty size)]""# + "\r", until: #"huge=\[1000 1000\]"#),
                    .send("exit\r"),
                ])
            #expect(hostile.failedStep == nil && hostile.status == 0, "\(hostile.transcript)")
            #expect(!FileManager.default.fileExists(atPath: marker))

            // A 10 kB TERM is refused the same way.
            let long = try await driver.run(
                Self.ssh(scene, #"run tool 'echo "long=[$TERM]"'"#), environment: ["TERM": String(repeating: "x", count: 10_000)],
                steps: [.expect(#"long=\[dumb\]"#)])
            #expect(long.failedStep == nil && long.status == 0, "\(long.transcript)")

            // A client with a terminal flooding input (endless /dev/zero) at a dyno that never reads it:
            // the daemon's memory stays bounded, and it still serves.
            let before = try Self.residentBytes(fixture.daemon.pid)
            let flood = Task {
                let command = (Self.ssh(scene, "run tool sleep 20").map(TestShell.quote)).joined(separator: " ") + " </dev/zero"
                return try await ProcessRunner.run("/usr/bin/timeout", ["-s", "KILL", "30", "/bin/sh", "-c", command])
            }
            var peak = before
            for _ in 0..<40 {
                try await Task.sleep(for: .milliseconds(500))
                peak = max(peak, try Self.residentBytes(fixture.daemon.pid))
            }
            _ = try await flood.value
            print("daemon resident memory under a terminal input flood: \(before >> 20) MiB before, \(peak >> 20) MiB at most")
            #expect(peak - before < 96 << 20, "the daemon grew from \(before >> 20) MiB to \(peak >> 20) MiB under the flood")
            let after = try await scene.admin.run("run tool echo still-serving")
            #expect(after.status == 0 && after.stdout.contains("still-serving"), "\(after.stderr)")
        }

        /// A process's resident memory (`VmRSS`).
        static func residentBytes(_ pid: Int32) throws -> Int {
            let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
            let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") })
            let kilobytes = try #require(line.split(separator: " ").dropFirst().first.flatMap { Int($0) })
            return kilobytes << 10
        }
    }
}

/// Shell quoting for test command lines.
enum TestShell {
    static func quote(_ word: String) -> String { "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'" }
}
