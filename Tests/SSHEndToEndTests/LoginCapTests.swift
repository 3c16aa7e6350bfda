import Foundation
import TestSupport
import Testing

/// The per-source cap on SSH connections that are still logging in (issue 21): idle
/// connections from one address cannot crowd out logins from another; 10 log in, 30 more wait
/// (10 s, for a place that never frees here), the rest are refused at once. The attacker connects
/// from 127.0.0.2, the real `ssh` from 127.0.0.1 (every 127/8 address is the loopback
/// interface on Linux).
@Suite(.timeLimit(.minutes(15))) struct LoginCapTests {
    @Test func theEleventhIdleConnectionFromOneSourceIsRefusedWhileOthersLogIn() async throws {
        let bed = Testbed()
        let key = try await bed.user("dev@example.com")
        try await DaemonProcess.with(dataDir: bed.data) { daemon in
            let client = SSHClient(port: daemon.sshPort, key: key)
            let whoami = ["/usr/bin/ssh"] + client.options + ["git@127.0.0.1", "whoami"]
            let result = try await ProcessRunner.run("/usr/bin/python3", ["-c", Self.idleCrowd, String(daemon.sshPort), "60"] + whoami)
            try #require(result.status == 0, "\(result.stderr)")
            let answers = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stdout)")

            let firstLines = try #require(answers["firstLines"] as? [String])
            #expect(firstLines.count == 60, "\(firstLines)")
            #expect(firstLines.prefix(10).allSatisfy { $0.hasPrefix("SSH-2.0-") }, "\(firstLines)")
            // 30 wait and are refused for logging in at once; beyond the source's burst of 40 new
            // connections, for opening them too fast. The bucket refills 8 a second while the
            // connections are opened, so a few of those may get a token back and be refused for
            // logging in instead (the waiting list is full): either refusal, at least one too fast.
            let loggingIn = "openruko: too many connections from your address are logging in"
            let tooFast = "openruko: too many new connections from your address"
            #expect(firstLines.dropFirst(10).prefix(30).allSatisfy { $0.hasPrefix(loggingIn) }, "\(firstLines)")
            let beyondBurst = firstLines.dropFirst(40)
            #expect(beyondBurst.allSatisfy { $0.hasPrefix(loggingIn) || $0.hasPrefix(tooFast) }, "\(firstLines)")
            #expect(beyondBurst.contains { $0.hasPrefix(tooFast) }, "\(firstLines)")
            let canary = try #require(answers["canary"] as? [String: Any])
            #expect(canary["status"] as? Int == 0, "ssh from another address logs in: \(canary)")
            #expect(canary["stdout"] as? String == "dev@example.com\n", "\(canary)")
            let sameSource = try #require(answers["sameSource"] as? [String: Any])
            #expect(sameSource["status"] as? Int == 255, "a login from the crowded address waits its turn: \(sameSource)")

            // 51 refusals from 127.0.0.2 (the last after its wait), one log line (the rest are counted).
            let lines = daemon.log.components(separatedBy: "\n").filter { $0.contains("SSH: refusing connections from 127.0.0.2") }
            #expect(lines.count == 1, "\(daemon.log)")
        }
    }

    /// argv: port, count, then the ssh command for `whoami`. Opens `count` connections from
    /// 127.0.0.2, then reads each one's first line (the server's SSH version, or its refusal:
    /// at once beyond the places and the waiting list, after the 10 s wait for the waiting ones),
    /// holds them all open while the ssh command runs from 127.0.0.1 and then (with
    /// `-b 127.0.0.2`) from the crowded address.
    static let idleCrowd = """
        import json, socket, subprocess, sys
        port, count, ssh = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
        held, lines = [], []
        for _ in range(count):
            s = socket.socket(); s.bind(("127.0.0.2", 0)); s.settimeout(20); s.connect(("127.0.0.1", port)); held.append(s)
        for s in held:
            line = b""
            try:
                while not line.endswith(b"\\n"):
                    c = s.recv(1)
                    if not c: break
                    line += c
            except OSError as e: line = repr(e).encode()
            lines.append(line.decode(errors="replace").strip())
        def run(command):
            r = subprocess.run(command, capture_output=True, text=True, timeout=60)
            return {"status": r.returncode, "stdout": r.stdout, "stderr": r.stderr}
        out = {"firstLines": lines, "canary": run(ssh), "sameSource": run(ssh[:1] + ["-b", "127.0.0.2"] + ssh[1:])}
        for s in held: s.close()
        print(json.dumps(out))
        """
}
