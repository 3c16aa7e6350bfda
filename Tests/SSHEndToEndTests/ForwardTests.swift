import Foundation
import TestSupport
import Testing

/// `ssh -L` reaches the API listener and nothing else.
@Suite(.timeLimit(.minutes(15))) struct ForwardTests {
    /// Connects to a local port (retrying while ssh sets up its listener), sends an HTTP
    /// request and prints whatever comes back until the connection closes.
    static let client = """
        import socket, sys, time
        port = int(sys.argv[1]); deadline = time.time() + 15
        while True:
            try:
                s = socket.create_connection(('127.0.0.1', port)); break
            except OSError:
                if time.time() > deadline: raise
                time.sleep(0.1)
        s.settimeout(15)
        try:
            s.sendall(b'GET /health HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n')
        except OSError:
            pass
        data = b''
        while True:
            try:
                chunk = s.recv(4096)
            except (OSError, socket.timeout):
                break
            if not chunk: break
            data += chunk
        sys.stdout.write(data.decode(errors='replace'))
        """

    @Test func aLocalForwardReachesOnlyTheAPIListener() async throws {
        let bed = Testbed()
        let key = try await bed.user("dev@example.com")
        let client = try bed.script("client.py", Self.client)
        try await DaemonProcess.with(dataDir: bed.data) { daemon in
            let ssh = SSHClient(port: daemon.sshPort, key: key)
            let allowed = try await bed.freePort()
            let allowedByName = try await bed.freePort()
            let blocked = try await bed.freePort()
            let tunnelLog = bed.directory.appending("tunnel.log")
            let tunnel = try await BackgroundProcess(
                ["/usr/bin/ssh"] + ssh.options.map { $0 == "LogLevel=ERROR" ? "LogLevel=INFO" : $0 } + [
                    "-N",
                    "-L", "\(allowed):127.0.0.1:\(daemon.apiPort)",
                    "-L", "\(allowedByName):localhost:\(daemon.apiPort)",
                    "-L", "\(blocked):127.0.0.1:\(daemon.sshPort)",
                    "git@127.0.0.1",
                ], log: tunnelLog)
            defer { tunnel.stop() }

            let reached = try await ProcessRunner.run("/usr/bin/python3", [client, String(allowed)])
            #expect(reached.stdout.hasSuffix("\r\n\r\nok\n"), "\(reached.stdout) \(reached.stderr)")
            let byName = try await ProcessRunner.run("/usr/bin/python3", [client, String(allowedByName)])
            #expect(byName.stdout.hasSuffix("\r\n\r\nok\n"), "\(byName.stdout) \(byName.stderr)")

            let refused = try await ProcessRunner.run("/usr/bin/python3", [client, String(blocked)])
            #expect(refused.stdout.isEmpty, "the SSH port must not be reachable: \(refused.stdout)")
            let said = await bed.eventually(seconds: 10) {
                ((try? String(contentsOfFile: tunnelLog, encoding: .utf8)) ?? "").contains("administratively prohibited")
            }
            #expect(said, "\((try? String(contentsOfFile: tunnelLog, encoding: .utf8)) ?? "")")
            // The tunnel still works after a refusal.
            let again = try await ProcessRunner.run("/usr/bin/python3", [client, String(allowed)])
            #expect(again.stdout.hasSuffix("\r\n\r\nok\n"))

            // Remote forwards (-R) are refused too.
            let remote = try await ssh.run("whoami", extra: ["-o", "ExitOnForwardFailure=yes", "-R", "0:127.0.0.1:\(daemon.apiPort)"])
            #expect(remote.status == 255, "\(remote.stdout) \(remote.stderr)")
        }
    }
}
