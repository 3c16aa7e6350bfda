import Foundation
import Testing
import TestSupport

extension RuntimeEndToEnd {
    /// `ssh -t … run:inside APP DYNO CMD` follows the client's window: the joined process's PTY
    /// (the dyno's own) takes each new size, clamped; and window changes a real client never
    /// sends (before any `pty-req`, without a terminal, absurd or in a flood, from paramiko)
    /// change nothing else and never stop the daemon.
    @Suite(.timeLimit(.minutes(15))) struct OneOffInsideTerminalTests {
        @Test func windowChangesReachTheJoinedProcess() async throws {
            let scene = try await OneOffTests.scene()
            let fixture = scene.fixture
            defer { Task { await fixture.daemon.stop() } }
            try await OneOffInsideTests.webUp(fixture)
            let driver = TerminalDriver(directory: fixture.directory.path)

            // Given a bash joined into web.1 on a 33×101 terminal.
            let argv = ["/usr/bin/ssh"] + scene.admin.options + ["-tt", "git@127.0.0.1", "run:inside tool web.1 bash"]
            let outcome = try await driver.run(
                argv, rows: 33, columns: 101,
                steps: [
                    .send(#"echo "first=[$(stty size)] [$DYNO]""# + "\r"),
                    .expect(#"first=\[33 101\] \[web\.1\]"#),
                    // When the window changes, the joined process's PTY follows.
                    .resize(rows: 40, columns: 120),
                    .resend(#"echo "resized=[$(stty size)]""# + "\r", until: #"resized=\[40 120\]"#),
                    // Absurd sizes are clamped: 65535 to 1000, 0 (unknown) to 80×24.
                    .resize(rows: 65535, columns: 65535),
                    .resend(#"echo "huge=[$(stty size)]""# + "\r", until: #"huge=\[1000 1000\]"#),
                    .resize(rows: 0, columns: 0),
                    .resend(#"echo "zero=[$(stty size)]""# + "\r", until: #"zero=\[24 80\]"#),
                    .send("exit 5\r"),
                ])
            #expect(outcome.failedStep == nil && outcome.status == 5, "\(outcome.transcript)")
            // The FIFO of window changes is gone with the process.
            let instances = fixture.dataDir + "/run/runtime/dynos"
            let names = try FileManager.default.contentsOfDirectory(atPath: instances)
            #expect(!names.isEmpty)
            let leftovers = names.flatMap { (try? FileManager.default.contentsOfDirectory(atPath: instances + "/" + $0)) ?? [] }
            #expect(!leftovers.contains { $0.hasPrefix("winsize-") }, "\(leftovers)")
        }

        @Test func hostileWindowChanges() async throws {
            let scene = try await OneOffTests.scene()
            let fixture = scene.fixture
            defer { Task { await fixture.daemon.stop() } }
            try await OneOffInsideTests.webUp(fixture)
            // Waits (up to two minutes) for the terminal to be 77×99.
            let waitForSize = #"for i in $(seq 120); do s=$(stty size); [ "$s" = "77 99" ] && break; sleep 1; done; echo "size=[$s] tty=[$(tty)]""#

            // Window changes before any pty-req (4294967295 is -1 to libssh), then a plain exec: no terminal, no effect.
            let before = try await Self.paramiko(
                scene, before: [[0, 0], [65535, 65535], [4_294_967_295, 4_294_967_295]], after: [[50, 50]],
                command: #"run:inside tool web.1 'tty; echo "cols=[${COLUMNS-none}]"; echo done-before'"#)
            #expect(before.status == 0, "\(before.output)")
            #expect(before.output.contains("not a tty") && before.output.contains("cols=[none]") && before.output.contains("done-before"), "\(before.output)")

            // A 0×0 pty-req, then a flood of 2,000 window changes ending on 77×99: the last one wins.
            var flood: [[Int]] = []
            for index in 0..<2000 { flood.append([10 + index % 50, 100 + index % 30]) }
            flood += [[4_294_967_295, 65535], [77, 99]]
            let flooded = try await Self.paramiko(
                scene, pty: [0, 0], after: flood, command: "run:inside tool web.1 " + TestShell.quote(waitForSize))
            #expect(flooded.status == 0 && flooded.output.contains("size=[77 99] tty=[/dev/pts/"), "\(flooded.output)")

            // The daemon still serves.
            let after = try await scene.admin.run("run:inside tool web.1 echo still-serving")
            #expect(after.status == 0 && after.stdout.contains("still-serving"), "\(after.stderr)")
            #expect(kill(fixture.daemon.pid, 0) == 0)
        }

        /// One session from paramiko: window changes `before` the pty-req (rows, columns), an
        /// optional pty-req of `pty`, the exec of `command`, window changes `after` it; returns
        /// the output and exit status.
        static func paramiko(
            _ scene: OneOffTests.Scene, before: [[Int]] = [], pty: [Int]? = nil, after: [[Int]], command: String
        ) async throws -> (status: Int, output: String) {
            let directory = scene.fixture.directory.path
            let script = directory + "/paramiko-session.py"
            try Self.script.write(toFile: script, atomically: true, encoding: .utf8)
            var spec: [String: Any] = [
                "port": scene.admin.port, "key": scene.admin.key.privateKeyPath, "before": before, "after": after, "command": command,
            ]
            if let pty { spec["pty"] = pty }
            let specFile = directory + "/paramiko-\(UUID().uuidString).json"
            try JSONSerialization.data(withJSONObject: spec).write(to: URL(fileURLWithPath: specFile))
            let result = try await ProcessRunner.run("/usr/bin/python3", [script, specFile])
            guard let object = try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any],
                let status = object["status"] as? Int
            else { throw TestFailure("the paramiko session failed: \(result.stdout) \(result.stderr)") }
            return (status, object["output"] as? String ?? "")
        }

        static let script = #"""
import json, sys, paramiko

spec = json.load(open(sys.argv[1]))
client = paramiko.SSHClient()
client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
client.connect("127.0.0.1", port=spec["port"], username="git", key_filename=spec["key"],
               look_for_keys=False, allow_agent=False, timeout=60)
channel = client.get_transport().open_session(timeout=60)
for rows, cols in spec["before"]:
    channel.resize_pty(width=cols, height=rows)
if "pty" in spec:
    channel.get_pty(term="xterm", width=spec["pty"][1], height=spec["pty"][0])
channel.exec_command(spec["command"])
for rows, cols in spec["after"]:
    channel.resize_pty(width=cols, height=rows)
channel.settimeout(300)
output = b""
while True:
    data = channel.recv(65536)
    if not data:
        break
    output += data
status = channel.recv_exit_status()
client.close()
print(json.dumps({"status": status, "output": output.decode("utf-8", "replace")}))
"""#
    }
}
