import Foundation
import Testing
import TestSupport

extension RuntimeEndToEnd {
    /// One-off dynos (`heroku run`, `run:detached`, `ssh … run`) on a real daemon: the
    /// rendezvous protocol as the heroku CLI speaks it, detached output in the log, the time
    /// limit, `ps`/`ps:stop`, the per-app limit, the refusals, and hostile requests.
    @Suite(.timeLimit(.minutes(15))) struct OneOffTests {
        /// A daemon with a deployed app `tool` (admin's), a user mallory with a token and an SSH key.
        struct Scene {
            let fixture: RuntimeFixture
            let adminToken: String
            let malloryToken: String
            let mallory: SSHClient
            let admin: SSHClient
            let apiPort: Int
            var caFile: String { fixture.dataDir + "/tls/ca.crt" }

            /// `POST /apps/APP/dynos` with `body`: (status, JSON).
            func run(_ app: String, _ body: [String: Any], token: String? = nil) async throws -> (Int, [String: Any]) {
                try await post("/apps/\(app)/dynos", body, token: token)
            }

            /// `POST PATH` to the API with `body` as JSON, as the CLI sends it (`variant`: the
            /// Accept header's, e.g. `.run-inside`): (status, JSON).
            func post(_ path: String, _ body: [String: Any], variant: String = "", token: String? = nil) async throws -> (Int, [String: Any]) {
                let json = String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)
                let result = try await ProcessRunner.run(
                    "/usr/bin/curl",
                    [
                        "-sS", "-X", "POST", "-H", "Authorization: Bearer \(token ?? adminToken)",
                        "-H", "Accept: application/vnd.heroku+json; version=3\(variant)", "-H", "Content-Type: application/json",
                        "-d", json, "-w", "\n%{http_code}", "http://localhost:\(apiPort)\(path)",
                    ])
                let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
                let status = Int(lines.last ?? "") ?? 0
                let object = try? JSONSerialization.jsonObject(with: Data(lines.dropLast().joined(separator: "\n").utf8)) as? [String: Any]
                return (status, object ?? [:])
            }
        }

        static func scene(environment: [String: String] = [:]) async throws -> Scene {
            let fixture = try await RuntimeFixture.start(environment: environment)
            try await fixture.deploy("tool", TestApp.files(procfile: "greeter: echo greeter says\n"))
            try await fixture.admin(["config:set", "tool", "GREETING=hello-from-config"])
            try await fixture.admin(["users:create", "mallory@example.com"])
            let adminToken = try await fixture.admin(["tokens:create"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let malloryToken = try await fixture.admin(["tokens:create", "--user", "mallory@example.com"]).stdout
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let malloryKey = try await TestKey.generate("ed25519", in: fixture.directory.path, name: "mallory")
            try await fixture.admin(["keys:add", "--user", "mallory@example.com"], input: malloryKey.publicKey)
            let adminKey = try await TestKey.generate("ed25519", in: fixture.directory.path, name: "admin")
            try await fixture.admin(["keys:add", "--user", "dev@example.com"], input: adminKey.publicKey)
            func port(_ name: String) throws -> Int {
                try #require(fixture.daemon.ready[name].flatMap { $0.split(separator: ":").last }.flatMap { Int($0) }, "\(name)")
            }
            let info = try String(contentsOfFile: fixture.dataDir + "/daemon.json", encoding: .utf8)
            #expect(info.contains("\"rendezvous\""), "daemon.json names the rendezvous listener: \(info)")
            return Scene(
                fixture: fixture, adminToken: adminToken, malloryToken: malloryToken, mallory: SSHClient(port: try port("ssh"), key: malloryKey),
                admin: SSHClient(port: try port("ssh"), key: adminKey), apiPort: try port("api"))
        }

        @Test func attachedRunsSpeakTheCLIsRendezvousProtocol() async throws {
            let scene = try await Self.scene()
            let fixture = scene.fixture
            defer { Task { await fixture.daemon.stop() } }
            let client = RendezvousClient(caFile: scene.caFile)

            // Given `heroku run -x --no-tty`: the CLI's command with its exit-status line.
            let command = #"cat; echo "env=$GREETING/$EXTRA/$DYNO"; (exit 3); echo "\#u{FFFF} heroku-command-exit-status: $?""#
            let (status, dyno) = try await scene.run(
                "tool", ["command": command, "attach": true, "force_no_tty": true, "env": ["EXTRA": "from-env", "TERM": "xterm"]])
            #expect(status == 201, "\(dyno)")
            let url = try #require(dyno["attach_url"] as? String)
            let name = try #require(dyno["name"] as? String)
            #expect(url.hasPrefix("rendezvous://localhost:"), "\(url)")
            #expect(name.hasPrefix("run."))
            // ps lists it (starting until the client attaches), with its command.
            #expect(try await fixture.dynos("tool").contains { $0.name == name })

            // When the client attaches, sends stdin and \x04.
            let session = try await client.attach(url, input: "piped line\n")
            // Then: the first chunk is exactly the rendezvous line; stdin reached the process; the
            // config var, the request's env and DYNO are set; the -x status passes through.
            #expect(session.greeting == "rendezvous\r\n")
            #expect(session.output.contains("piped line\n"), "\(session.output)")
            #expect(session.output.contains("env=hello-from-config/from-env/\(name)"), "\(session.output)")
            #expect(session.exitStatus == 3, "\(session.output)")
            // The secret is single use: a second attach gets nothing.
            let again = try? await client.attach(url)
            #expect(again?.greeting ?? "" == "")
            try await fixture.eventually("\(name) gone from ps") { try await !fixture.dynos("tool").contains { $0.name == name } }
            let log = try await fixture.log("tool")
            #expect(log.contains("heroku[\(name)]: Starting process with command"), "\(log)")
            #expect(log.contains("heroku[\(name)]: Process exited with status 0"), "\(log)")
            #expect(!log.contains("app[\(name)]: piped line"), "attached output stays with the client")

            // A TTY (no force_no_tty): a pts of the sandbox's own, the terminal size from COLUMNS/LINES.
            let (_, tty) = try await scene.run(
                "tool", ["command": "tty; stty size; exit 4", "attach": true, "env": ["COLUMNS": "101", "LINES": "33"]])
            let ttySession = try await client.attach(try #require(tty["attach_url"] as? String), endOfInput: false)
            #expect(ttySession.output.contains("/dev/pts/"), "\(ttySession.output)")
            #expect(ttySession.output.contains("33 101"), "\(ttySession.output)")

            // heroku3 sends the secret without a line end; a Procfile type as first word is replaced.
            let (_, typed) = try await scene.run("tool", ["command": "greeter and friends", "attach": true, "force_no_tty": true])
            let typedSession = try await client.attach(try #require(typed["attach_url"] as? String), lineEnd: false)
            #expect(typedSession.output.contains("greeter says and friends"), "\(typedSession.output)")

            // Closing the socket ends the command.
            let (_, long) = try await scene.run("tool", ["command": "echo ready; sleep 600", "attach": true, "force_no_tty": true])
            let longName = try #require(long["name"] as? String)
            _ = try await client.attach(try #require(long["attach_url"] as? String), endOfInput: false, hangUpAfter: "ready")
            try await fixture.eventually("\(longName) stopped after the client left") {
                try await !fixture.dynos("tool").contains { $0.name == longName }
            }

            // Over SSH: a plain pipe, the process's exit status is ssh's.
            let ssh = try await scene.admin.run("run tool read line; echo got-$line; exit 7", input: "over-ssh\n")
            #expect(ssh.status == 7, "\(ssh.stderr)")
            #expect(ssh.stdout.contains("got-over-ssh"), "\(ssh.stdout)")
        }

        @Test func detachedRunsLogTheirOutputAndAreBounded() async throws {
            let scene = try await Self.scene(environment: ["OPENRUKO_ONE_OFF_TTL": "4", "OPENRUKO_ONE_OFF_LIMIT": "2"])
            let fixture = scene.fixture
            defer { Task { await fixture.daemon.stop() } }

            // run:detached: output in the log as app[run.N].
            let detached = try await scene.admin.run("run:detached tool echo detached-$GREETING")
            #expect(detached.status == 0, "\(detached.stderr)")
            let firstLine = detached.stdout.split(separator: "\n").first ?? ""
            let name = try #require(firstLine.split(separator: " ").last.map(String.init), "\(detached.stdout)")
            #expect(name.hasPrefix("run."), "\(detached.stdout)")
            try await fixture.eventually("app[\(name)] output in the log") {
                try await fixture.log("tool").contains("app[\(name)]: detached-hello-from-config")
            }

            // The time limit (4 s here) stops a one-off that runs on.
            let (_, sleeper) = try await scene.run("tool", ["command": "sleep 600", "attach": false])
            let sleeperName = try #require(sleeper["name"] as? String)
            #expect(try await fixture.dynos("tool").contains { $0.name == sleeperName })
            try await fixture.eventually("\(sleeperName) stopped at its time limit") {
                try await fixture.log("tool").contains("heroku[\(sleeperName)]: Stopping: the one-off reached its time limit")
            }

            // ps:stop APP run.N stops one; the limit of 2 at once refuses a third.
            let first = try await scene.run("tool", ["command": "sleep 3; sleep 600", "attach": false, "time_to_live": 60]).1
            _ = try await scene.run("tool", ["command": "sleep 600", "attach": false])
            let (over, refusal) = try await scene.run("tool", ["command": "true", "attach": false])
            #expect(over == 422, "\(refusal)")
            #expect((refusal["message"] as? String)?.contains("Cannot run more than 2 one-off dynos") == true, "\(refusal)")
            let firstName = try #require(first["name"] as? String)
            let ps = try await fixture.admin(["ps", "tool"]).stdout
            #expect(ps.contains(firstName) && ps.contains("sleep 3; sleep 600"), "\(ps)")
            try await fixture.admin(["ps:stop", "tool", firstName])
            try await fixture.eventually("\(firstName) stopped") { try await !fixture.dynos("tool").contains { $0.name == firstName } }
        }

        @Test func refusalsAndHostileRequests() async throws {
            let scene = try await Self.scene()
            let fixture = scene.fixture
            defer { Task { await fixture.daemon.stop() } }
            let client = RendezvousClient(caFile: scene.caFile)
            try await fixture.admin(["apps:create", "empty"])

            let (noRelease, noReleaseBody) = try await scene.run("empty", ["command": "true", "attach": false])
            #expect(noRelease == 409, "\(noReleaseBody)")
            let (badSize, badSizeBody) = try await scene.run("tool", ["command": "true", "size": "galactic-9X"])
            #expect(badSize == 422, "\(badSizeBody)")
            let (badEnv, badEnvBody) = try await scene.run("tool", ["command": "true", "env": ["A B": "x"]])
            #expect(badEnv == 422, "\(badEnvBody)")
            // Another tenant's app does not exist for mallory, over the API and over SSH.
            let (other, otherBody) = try await scene.run("tool", ["command": "id", "attach": false], token: scene.malloryToken)
            let (missing, missingBody) = try await scene.run("no-such-app", ["command": "id"], token: scene.malloryToken)
            #expect(other == 404 && missing == 404, "\(otherBody) \(missingBody)")
            #expect(otherBody["message"] as? String == missingBody["message"] as? String)
            let sshOther = try await scene.mallory.run("run tool id")
            #expect(sshOther.status != 0 && !sshOther.stdout.contains("uid="), "\(sshOther.stdout)")

            // LD_PRELOAD in env reaches only the sandboxed process (host launchers keep a fixed environment);
            // the one-off is the app's own user, sees no data directory and no host processes.
            let probe = #"echo "preload=$LD_PRELOAD uid=$(id -u)"; ls / | tr '\n' ' '; echo; ls /proc | grep -c '^[0-9]'; test -e \#(fixture.dataDir) && echo SEES-DATA; (exit 0); echo "\#u{FFFF} heroku-command-exit-status: $?""#
            let (_, hostile) = try await scene.run(
                "tool", ["command": probe, "attach": true, "force_no_tty": true, "env": ["LD_PRELOAD": "/nonexistent/evil.so"]])
            let session = try await client.attach(try #require(hostile["attach_url"] as? String))
            #expect(session.output.contains("preload=/nonexistent/evil.so"), "\(session.output)")
            #expect(!session.output.contains("uid=0 "), "\(session.output)")
            #expect(!session.output.contains("SEES-DATA"), "\(session.output)")
            #expect(session.exitStatus == 0, "\(session.output)")

            // A fork bomb stays within the size's process limit (256 for standard-1X): fork fails with EAGAIN.
            let bomb = """
                python3 -c 'import os, time
                n = 0
                try:
                    while n < 600:
                        if os.fork() == 0:
                            time.sleep(20); os._exit(0)
                        n += 1
                except OSError as e:
                    print("forks", n, "errno", e.errno, flush=True)
                '; echo "\u{FFFF} heroku-command-exit-status: $?"
                """
            let (_, bombDyno) = try await scene.run("tool", ["command": bomb, "attach": true, "force_no_tty": true])
            let bombSession = try await client.attach(try #require(bombDyno["attach_url"] as? String))
            let forks = bombSession.output.components(separatedBy: "forks ").last.flatMap { Int($0.prefix { $0.isNumber }) }
            #expect(forks != nil && forks! < 256, "\(bombSession.output.suffix(400))")
            #expect(bombSession.output.contains("errno 11"), "\(bombSession.output.suffix(400))")
        }
    }
}
