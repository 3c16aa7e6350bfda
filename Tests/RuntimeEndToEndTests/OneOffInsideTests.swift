import Foundation
import Testing
import TestSupport

extension RuntimeEndToEnd {
    /// `run:inside APP DYNO CMD` (Heroku Fir) on a real daemon: the process joins the running
    /// dyno (its namespaces, cgroup, user and environment) and never runs on the host; over
    /// the API (`version=3.run-inside`, rendezvous) and over SSH (with a PTY under `-t`).
    @Suite(.timeLimit(.minutes(15))) struct OneOffInsideTests {
        /// `POST /apps/APP/dynos/DYNO` as the CLI's `run:inside` sends it: (status, JSON).
        static func inside(
            _ scene: OneOffTests.Scene, _ app: String, _ dyno: String, _ body: [String: Any], token: String? = nil
        ) async throws -> (Int, [String: Any]) {
            try await scene.post("/apps/\(app)/dynos/\(dyno)", body, variant: ".run-inside", token: token)
        }

        static func webUp(_ fixture: RuntimeFixture) async throws {
            try await fixture.eventually("web.1 up") { try await fixture.dynos("tool").contains { $0.name == "web.1" && $0.state == "up" } }
        }

        /// `/proc/PID/FILE` as text ("" when gone).
        static func proc(_ pid: Int32, _ file: String) -> String {
            (try? String(contentsOfFile: "/proc/\(pid)/\(file)", encoding: .utf8)) ?? ""
        }

        static func namespace(_ pid: Int32, _ kind: String) -> String {
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/\(kind)")) ?? "gone-\(pid)"
        }

        /// The pids whose command line (NULs as spaces) satisfies `match`.
        static func processes(_ match: (String) -> Bool) -> [Int32] {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
            return entries.compactMap { Int32($0) }.filter { match(proc($0, "cmdline").replacingOccurrences(of: "\0", with: " ")) }
        }

        static func statusField(_ pid: Int32, _ name: String) -> String {
            let line = proc(pid, "status").split(separator: "\n").first { $0.hasPrefix(name + ":") } ?? ""
            return line.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces)
        }

        @Test func runInsideJoinsTheRunningDyno() async throws {
            let scene = try await OneOffTests.scene()
            let fixture = scene.fixture
            defer { Task { await fixture.daemon.stop() } }
            try await Self.webUp(fixture)
            let client = RendezvousClient(caFile: scene.caFile)

            // Given the CLI's run:inside request with its own variables (one of them LD_PRELOAD).
            let probe = #"""
                echo "same-host=$([ "$(hostname)" = "$HEROKU_DYNO_ID" ] && echo yes) dyno=$DYNO env=$GREETING/$EXTRA lang=${LANG-unset} preload=$LD_PRELOAD"
                echo "uid=$(id -u) cwd=$(pwd)"
                for f in /proc/[0-9]*/cmdline; do tr '\0' ' ' <"$f"; echo; done | grep -c '^python3 server' | sed 's/^/servers=/'
                python3 -c "import os, urllib.request; print('web-status', urllib.request.urlopen('http://127.0.0.1:%s/' % os.environ['PORT']).status)"
                echo "\#u{FFFF} heroku-command-exit-status: 0"
                """#
            let (status, dyno) = try await Self.inside(
                scene, "tool", "web.1",
                ["command": probe, "force_no_tty": true, "env": ["EXTRA": "it's '$(x)'", "LD_PRELOAD": "/nonexistent/evil.so"]])
            #expect(status == 201, "\(dyno)")
            #expect(dyno["name"] as? String == "web.1", "\(dyno)")
            let url = try #require(dyno["attach_url"] as? String, "\(dyno)")
            #expect(url.hasPrefix("rendezvous://localhost:"), "\(url)")
            let session = try await client.attach(url)
            // Then it ran in web.1's sandbox: its host name, environment, processes and network.
            #expect(session.greeting == "rendezvous\r\n")
            #expect(session.output.contains("same-host=yes dyno=web.1 env=hello-from-config/it's '$(x)' lang=unset preload=/nonexistent/evil.so"), "\(session.output)")
            #expect(session.output.contains("cwd=/app"), "\(session.output)")
            #expect(!session.output.contains("uid=0 "), "\(session.output)")
            #expect(session.output.contains("servers=1"), "\(session.output)")
            #expect(session.output.contains("web-status 200"), "\(session.output)")
            #expect(session.exitStatus == 0, "\(session.output)")
            let log = try await fixture.log("tool")
            #expect(log.contains("inside web.1 by user"), "\(log)")

            // Seen from the host, a process started over SSH is in web.1's namespaces and cgroup, as
            // its user, without privileges; the host processes that started it keep a fixed environment.
            let token = "36\(Int.random(in: 10...99))17"
            let held = Task {
                try await ProcessRunner.run(
                    "/usr/bin/ssh", scene.admin.options + ["git@127.0.0.1", "run:inside tool web.1 --env SECRET_MARK=x9 sleep \(token)"])
            }
            var joined: Int32?
            try await fixture.eventually("the joined sleep runs") {
                joined = Self.processes { $0 == "sleep \(token) " }.first
                return joined != nil
            }
            let pid = try #require(joined)
            let servers = Self.processes { $0.hasPrefix("python3 server") }.filter { Self.namespace($0, "pid") == Self.namespace(pid, "pid") }
            let server = try #require(servers.first, "a web server shares the joined process's PID namespace")
            for kind in ["pid", "mnt", "net", "uts", "ipc", "user", "cgroup"] {
                #expect(Self.namespace(pid, kind) == Self.namespace(server, kind), "\(kind) namespace")
            }
            #expect(Self.proc(pid, "cgroup") == Self.proc(server, "cgroup") && Self.proc(pid, "cgroup").contains("openruko-dyno-"), "\(Self.proc(pid, "cgroup"))")
            #expect(Self.statusField(pid, "Uid") == Self.statusField(server, "Uid") && !Self.statusField(pid, "Uid").hasPrefix("0"))
            #expect(Self.statusField(pid, "Groups") == Self.statusField(server, "Groups"), "\(Self.statusField(pid, "Groups"))")
            #expect(Self.statusField(pid, "NoNewPrivs") == "1")
            #expect(Self.statusField(pid, "CapEff").allSatisfy { $0 == "0" }, "\(Self.statusField(pid, "CapEff"))")
            #expect(Self.proc(pid, "environ").contains("SECRET_MARK=x9"))
            #expect(Self.proc(pid, "environ").contains("GREETING=hello-from-config"))
            // Its host-side parent (nsenter, outside the dyno's PID namespace) has only the fixed environment.
            let parent = try #require(Int32(Self.statusField(pid, "PPid")))
            #expect(Self.namespace(parent, "pid") != Self.namespace(pid, "pid"))
            let hostEnvironment = Self.proc(parent, "environ")
            #expect(!hostEnvironment.contains("SECRET_MARK") && !hostEnvironment.contains("GREETING"), "\(hostEnvironment)")
            // When the client goes away (killed), the process ends.
            for client in Self.processes({ $0.hasPrefix("/usr/bin/ssh ") && $0.contains("sleep \(token)") }) { kill(client, SIGKILL) }
            _ = try await held.value
            try await fixture.eventually("the joined sleep ended with its client") { Self.processes { $0 == "sleep \(token) " }.isEmpty }
        }

        @Test func refusalsAndAttacks() async throws {
            let scene = try await OneOffTests.scene()
            let fixture = scene.fixture
            defer { Task { await fixture.daemon.stop() } }
            try await Self.webUp(fixture)
            let client = RendezvousClient(caFile: scene.caFile)
            let marker = fixture.directory.appending("pwned")

            // Another tenant's dyno does not exist for mallory (as a missing app), over the API and SSH.
            let (other, otherBody) = try await Self.inside(scene, "tool", "web.1", ["command": "id"], token: scene.malloryToken)
            let (missing, missingBody) = try await Self.inside(scene, "no-such-app", "web.1", ["command": "id"], token: scene.malloryToken)
            #expect(other == 404 && missing == 404, "\(otherBody) \(missingBody)")
            #expect(otherBody["message"] as? String == missingBody["message"] as? String)
            let sshOther = try await scene.mallory.run("run:inside tool web.1 id")
            #expect(sshOther.status != 0 && !sshOther.stdout.contains("uid="), "\(sshOther.stdout)")
            // Unknown dynos; a dyno name with shell metacharacters is just unknown.
            let (unknown, unknownBody) = try await Self.inside(scene, "tool", "web.9", ["command": "id"])
            #expect(unknown == 404, "\(unknownBody)")
            let sshHostile = try await scene.admin.run("run:inside tool 'web.1;touch \(marker)' id")
            #expect(sshHostile.status != 0 && sshHostile.stderr.contains("Couldn't find that dyno"), "\(sshHostile.stderr)")
            // A dyno that is not up (an attached one-off nobody attached to yet) is refused with 409.
            let (_, waiting) = try await scene.run("tool", ["command": "sleep 30", "attach": true, "force_no_tty": true])
            let waitingName = try #require(waiting["name"] as? String, "\(waiting)")
            let (notUp, notUpBody) = try await Self.inside(scene, "tool", waitingName, ["command": "id"])
            #expect(notUp == 409, "\(notUpBody)")
            let (empty, emptyBody) = try await Self.inside(scene, "tool", "web.1", ["command": "  "])
            #expect(empty == 422, "\(emptyBody)")
            let (badEnv, badEnvBody) = try await Self.inside(scene, "tool", "web.1", ["command": "id", "env": ["A;touch x": "1"]])
            #expect(badEnv == 422, "\(badEnvBody)")

            // Shell metacharacters are the tenant's own code inside its dyno: they never run on the host.
            let hostile = "touch \(marker); echo \"$(touch \(marker) 2>&1; echo sub)\" `touch \(marker)`; echo meta-done"
            let (_, metaDyno) = try await Self.inside(
                scene, "tool", "web.1", ["command": hostile, "force_no_tty": true, "env": ["BASH_ENV": "$(touch \(marker))", "X": "`touch \(marker)`"]])
            let meta = try await client.attach(try #require(metaDyno["attach_url"] as? String))
            #expect(meta.output.contains("meta-done"), "\(meta.output)")
            #expect(!FileManager.default.fileExists(atPath: marker), "a marker file appeared on the host")

            // It cannot escape the dyno's memory limit (1 GB hard for standard-1X): 1.5 GB fails.
            let hog = #"python3 -c "b = b'x' * (1536 << 20); print('allocated', len(b))"; echo "\#u{FFFF} heroku-command-exit-status: $?""#
            let (_, hogDyno) = try await Self.inside(scene, "tool", "web.1", ["command": hog, "force_no_tty": true])
            let hogSession = try await client.attach(try #require(hogDyno["attach_url"] as? String))
            #expect(!hogSession.output.contains("allocated 1"), "\(hogSession.output)")
            // The kernel stops the allocation at the hard limit (137), or the memory watch sees the
            // dyno at twice its quota first and stops it with R15 (the session then ends without a
            // status); which one wins depends on the machine's load.
            if hogSession.exitStatus != 137 {
                #expect(hogSession.exitStatus == nil, "\(hogSession.output)")
                try await fixture.eventually("web.1 stopped with R15") {
                    try await fixture.log("tool").contains("Error R15 (Memory quota vastly exceeded)")
                }
            }
        }

        @Test func sshRunInsideWithATerminal() async throws {
            let scene = try await OneOffTests.scene()
            let fixture = scene.fixture
            defer { Task { await fixture.daemon.stop() } }
            try await Self.webUp(fixture)
            let driver = TerminalDriver(directory: fixture.directory.path)

            // ssh -t: a pts of the dyno's own, the client's size; the status is ssh's.
            let argv = ["/usr/bin/ssh"] + scene.admin.options + ["-tt", "git@127.0.0.1", #"run:inside tool web.1 'echo "in=[$(tty)] [$(stty size)] [$DYNO]"; exit 4'"#]
            let outcome = try await driver.run(argv, rows: 33, columns: 101, steps: [.expect(#"in=\[/dev/pts/[0-9]+\] \[33 101\] \[web\.1\]"#)])
            #expect(outcome.failedStep == nil && outcome.status == 4, "\(outcome.transcript)")
            // Without -t: a plain pipe, stdin reaches the process, the status is ssh's.
            let plain = try await scene.admin.run("run:inside tool web.1 'read l; echo got-$l; tty; exit 6'", input: "piped\n")
            #expect(plain.status == 6 && plain.stdout.contains("got-piped") && plain.stdout.contains("not a tty"), "\(plain.stdout) \(plain.stderr)")
        }
    }
}
