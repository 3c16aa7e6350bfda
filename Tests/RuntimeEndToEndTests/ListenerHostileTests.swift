import Foundation
import Testing
import TestSupport

extension RuntimeEndToEnd {
    /// Issue 21 on the listeners one-offs and local tools use, on a real daemon: the rendezvous
    /// listener caps the connections still to send their secret (in all and per source address)
    /// and closes them at its greeting deadline, while a one-off from another address still
    /// attaches; the control and log sockets close a connection that sends nothing, or a line
    /// without end, and keep serving. The checks wait for outcomes, never for durations.
    @Suite(.timeLimit(.minutes(15))) struct ListenerHostileTests {
        @Test func aOneOffAttachesWhile200IdleTLSConnectionsSitOnTheRendezvousPort() async throws {
            // 64 waiting connections at most, 16 from one address.
            let scene = try await OneOffTests.scene(environment: ["OPENRUKO_RENDEZVOUS_PENDING": "64"])
            let fixture = scene.fixture
            defer { Task { await fixture.daemon.stop() } }
            let (status, dyno) = try await scene.run("tool", ["command": "echo canary-$GREETING", "attach": true, "force_no_tty": true])
            #expect(status == 201, "\(dyno)")
            let url = try #require(dyno["attach_url"] as? String)
            let port = try #require(URLComponents(string: url.replacingOccurrences(of: "rendezvous://", with: "https://"))?.port)

            // Given 200 idle TLS connections from 127.0.0.2, kept up (reopened when closed)…
            let ready = fixture.directory.path + "/attackers-ready"
            let stop = fixture.directory.path + "/attackers-stop"
            async let attack = ProcessRunner.run(
                "/usr/bin/python3", ["-c", Self.idleTLS, String(port), scene.caFile, "200", ready, stop])
            try await fixture.eventually("the idle connections are open") { FileManager.default.fileExists(atPath: ready) }

            // …the one-off still attaches from 127.0.0.1.
            let session = try await RendezvousClient(caFile: scene.caFile).attach(url)
            #expect(session.greeting == "rendezvous\r\n")
            #expect(session.output.contains("canary-hello-from-config"), "\(session.output)")
            FileManager.default.createFile(atPath: stop, contents: nil)
            let result = try await attack
            let counts = result.stdout.split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            try #require(counts.count == 3, "\(result.stdout) \(result.stderr)")
            let (handshakes, refused, closedByServer) = (counts[0], counts[1], counts[2])
            // The attacker's address got some places, was refused beyond its share, and the
            // places it held were taken back at the greeting deadline.
            #expect(handshakes > 0, "\(result.stdout)")
            #expect(refused > 0, "no connection was refused: \(result.stdout)")
            #expect(closedByServer > 0, "no idle connection was closed: \(result.stdout)")

            // The control and log sockets: nothing sent, or a line without end, is closed.
            let sockets = try await ProcessRunner.run(
                "/usr/bin/python3", ["-c", Self.localSockets, fixture.dataDir + "/run/control.sock", fixture.dataDir + "/run/logs.sock"])
            #expect(sockets.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "closed closed closed closed", "\(sockets.stdout) \(sockets.stderr)")
            // …and both still serve: `admin ps` and `admin logs` ask the control socket, and
            // `config:set`'s release line comes through the log socket.
            _ = try await fixture.dynos("tool")
            try await fixture.admin(["config:set", "tool", "AFTER_ATTACK=1"])
            try await fixture.eventually("the release line in the log") { try await fixture.log("tool").contains("AFTER_ATTACK") }
        }

        /// Keeps argv[3] TLS connections from 127.0.0.2 to 127.0.0.1:argv[1] open and idle (a
        /// closed one is reopened every half second), touches argv[4] once the first round is
        /// open, and stops when argv[5] exists (after 15 s at least, 120 s at most); prints the
        /// handshakes that succeeded, the connections closed before their handshake (refused),
        /// and the handshaken ones the server closed later.
        static let idleTLS = """
            import os, socket, ssl, sys, time
            port, cafile, count, ready, stop = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
            context = ssl.create_default_context(cafile=cafile)
            held, counts = [], {"handshakes": 0, "refused": 0, "closed": 0}
            def open_one():
                raw = socket.socket()
                raw.settimeout(10)
                try:
                    raw.bind(("127.0.0.2", 0))
                    raw.connect(("127.0.0.1", port))
                    s = context.wrap_socket(raw, server_hostname="localhost")
                except Exception:
                    counts["refused"] += 1
                    raw.close()
                    return
                counts["handshakes"] += 1
                s.setblocking(False)
                held.append(s)
            start = time.time()
            for _ in range(count): open_one()
            open(ready, "w").close()
            while time.time() - start < 120 and (time.time() - start < 15 or not os.path.exists(stop)):
                for s in list(held):
                    try:
                        if s.recv(1) != b"": continue
                    except (ssl.SSLWantReadError, BlockingIOError):
                        continue
                    except Exception:
                        pass
                    counts["closed"] += 1
                    held.remove(s)
                    s.close()
                for _ in range(count - len(held)): open_one()
                time.sleep(0.5)
            print(counts["handshakes"], counts["refused"], counts["closed"])
            """

        /// Against the control socket (argv[1]) and the log socket (argv[2]), at once: a
        /// connection that sends nothing, and one that sends 17 MiB without a line end; prints
        /// `closed` for each the daemon closed (within 60 s), else `open`.
        static let localSockets = """
            import socket, sys, threading
            def idle(path):
                s = socket.socket(socket.AF_UNIX)
                s.connect(path)
                s.settimeout(60)
                try:
                    return "closed" if s.recv(1) == b"" else "data"
                except socket.timeout:
                    return "open"
                except OSError:
                    return "closed"
            def endless(path):
                s = socket.socket(socket.AF_UNIX)
                s.connect(path)
                s.settimeout(60)
                try:
                    for _ in range(17 * 16): s.sendall(b"x" * 65536)
                    return "closed" if s.recv(1) == b"" else "data"
                except socket.timeout:
                    return "open"
                except OSError:
                    return "closed"
            results = [None] * 4
            def run(i, f, path): results[i] = f(path)
            threads = [threading.Thread(target=run, args=a) for a in
                       ((0, idle, sys.argv[1]), (1, endless, sys.argv[1]), (2, idle, sys.argv[2]), (3, endless, sys.argv[2]))]
            for t in threads: t.start()
            for t in threads: t.join()
            print(" ".join(results))
            """
    }
}
