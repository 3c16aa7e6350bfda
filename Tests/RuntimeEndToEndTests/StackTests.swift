import Foundation
import Testing
import TestSupport

extension RuntimeEndToEnd {
    /// Builds and dynos on a stack built by openruko (`TestStack`: Debian trixie with python3,
    /// git in the build image) instead of the host's `/usr` (Debian 12): what they see, `STACK`,
    /// `stack:set`, apt work like heroku-buildpack-apt's, and tenants attacking the stack.
    @Suite(.timeLimit(.minutes(15))) struct StackTests {
        /// A binary the host has (scripts/install-deps) and the test stack does not.
        static let hostOnly = "/usr/bin/buildah"

        /// A classic buildpack that reports what its build sees, attacks the stack, and fetches
        /// the Aptfile's packages the way heroku-buildpack-apt does (from the stack's sources.list).
        static let buildpack: [String: String] = [
            "bin/detect": "+x #!/usr/bin/env bash\necho StackProbe\n",
            "bin/compile": #"""
                +x #!/usr/bin/env bash
                build=$1 cache=$2
                echo "-----> Probing the stack"
                echo "       STACK=$STACK"
                echo "       os $(grep '^VERSION_ID=' /etc/os-release)"
                if [ -f /etc/apt/sources.list ]; then echo "       sources.list: $(head -n1 /etc/apt/sources.list)"
                else echo "       sources.list: missing"; fi
                if [ -e HOSTONLY ]; then echo "       host-only binary: visible"; else echo "       host-only binary: hidden"; fi
                for attack in "touch /usr/bin/evil-build" "cp /bin/true /usr/bin/env" "rm -f /usr/bin/env" "mv /usr/bin/env /usr/bin/env2" \
                  "chmod 777 /usr/bin/env" "touch /etc/evil-build" "touch /evil-build"; do
                  if sh -c "$attack" 2>/dev/null; then echo "       attack done: $attack"; else echo "       attack refused: $attack"; fi
                done
                if [ -f "$build/Aptfile" ] && [ -f /etc/apt/sources.list ]; then
                  echo "-----> Fetching .debs for $(tr '\n' ' ' <"$build/Aptfile")"
                  apt=$cache/apt
                  mkdir -p "$apt/cache/archives/partial" "$apt/state/lists/partial"
                  cat /etc/apt/sources.list >"$apt/sources.list"
                  opts="-o debug::nolocking=true -o dir::cache=$apt/cache -o dir::state=$apt/state"
                  opts="$opts -o dir::etc::sourcelist=$apt/sources.list -o dir::etc::sourceparts=/dev/null"
                  apt-get $opts update >"$apt/log" 2>&1 || { cat "$apt/log"; exit 1; }
                  apt-get $opts -y -d --reinstall install $(cat "$build/Aptfile") >>"$apt/log" 2>&1 || { cat "$apt/log"; exit 1; }
                  for deb in "$apt"/cache/archives/*.deb; do dpkg -x "$deb" "$build/.apt/"; done
                  echo "       installed: $(ls "$build/.apt/usr/bin" | tr '\n' ' ')"
                fi
                """#.replacingOccurrences(of: "HOSTONLY", with: hostOnly),
            "bin/release": "+x #!/usr/bin/env bash\necho '--- {}'\n",
        ]

        /// The web app: answers what the dyno sees and what its attacks on the stack did.
        static let server = #"""
            import json, os, subprocess, http.server, socketserver
            def attempt(action):
                try:
                    action()
                    return "done"
                except Exception as e:
                    return type(e).__name__
            def facts():
                hello = "/app/.apt/usr/bin/hello"
                return {
                    "stack": os.environ.get("STACK"),
                    "version": open("/app/VERSION").read().strip(),
                    "instance": os.environ.get("HEROKU_DYNO_ID"),
                    "os": dict(l.split("=", 1) for l in open("/etc/os-release").read().split("\n") if "=" in l),
                    "sources": open("/etc/apt/sources.list").read() if os.path.exists("/etc/apt/sources.list") else None,
                    "hostOnly": os.path.exists("HOSTONLY"),
                    "hello": subprocess.run([hello], capture_output=True, text=True).stdout.strip() if os.path.exists(hello) else None,
                    "attacks": {
                        "create": attempt(lambda: open("/usr/bin/evil-dyno", "w").write("x")),
                        "append": attempt(lambda: open("/usr/bin/env", "a").write("x")),
                        "rename": attempt(lambda: os.rename("/usr/bin/env", "/usr/bin/env2")),
                        "unlink": attempt(lambda: os.unlink("/usr/bin/env")),
                        "chmod": attempt(lambda: os.chmod("/usr/bin/env", 0o777)),
                        "sources": attempt(lambda: open("/etc/apt/sources.list", "a").write("x")),
                        "root": attempt(lambda: open("/evil-dyno", "w").write("x")),
                    },
                }
            class Handler(http.server.BaseHTTPRequestHandler):
                protocol_version = "HTTP/1.1"
                def do_GET(self):
                    body = json.dumps(facts(), sort_keys=True).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                def log_message(self, *args):
                    pass
            class Server(http.server.ThreadingHTTPServer):
                def server_bind(self):
                    socketserver.TCPServer.server_bind(self)
                    self.server_name, self.server_port = "localhost", self.server_address[1]
            Server(("0.0.0.0", int(os.environ["PORT"])), Handler).serve_forever()
            """#.replacingOccurrences(of: "HOSTONLY", with: hostOnly)

        /// Pushes and returns the push and the seconds until the router first answered 200.
        func pushUntilServed(_ fixture: RuntimeFixture, _ repo: String, app: String, version: String) async throws
            -> (ProcessResult, Double)
        {
            let started = ContinuousClock.now
            let push = try await fixture.push(repo, app: app)
            if push.status != 0 {
                let log = try await fixture.log(app)
                Issue.record("push rejected:\n\(push.stderr)\n\(log)")
            }
            try await fixture.eventually("version \(version) answers") {
                guard let answer = try await fixture.routed(app), answer.status == 200 else { return false }
                return answer.json?["version"] as? String == version
            }
            let elapsed = ContinuousClock.now - started
            return (push, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        }

        @Test func anAppMovesFromTheHostToAStackWhereBuildsAndDynosRunOnIt() async throws {
            #expect(FileManager.default.isExecutableFile(atPath: Self.hostOnly), "the host should have \(Self.hostOnly)")
            let fixture = try await RuntimeFixture.start()
            defer { Task { await fixture.daemon.stop() } }
            try await TestStack.install(into: fixture.dataDir)
            for image in ["run", "build"] {
                #expect(!FileManager.default.fileExists(atPath: fixture.dataDir + "/stacks/teststack/\(image)" + Self.hostOnly))
            }
            let before = TestStack.fingerprint(fixture.dataDir)
            #expect(before.count > 100)

            try await fixture.admin(["apps:create", "stk1"])
            let buildpack = try await fixture.repository(Self.buildpack)
            try await fixture.admin(["buildpacks:set", "stk1", buildpack])
            let repo = try await fixture.repository(
                ["server": Self.server, "Procfile": "web: python3 server\n", "Aptfile": "hello\n", "VERSION": "1\n"])

            // On the legacy stack: the host's Debian 12, no sources.list, the host's binaries.
            let (hostPush, hostSeconds) = try await pushUntilServed(fixture, repo, app: "stk1", version: "1")
            for line in [
                "Building on the host stack", "STACK=host", #"os VERSION_ID="12""#, "sources.list: missing",
                "host-only binary: visible",
            ] {
                #expect(hostPush.stderr.contains(line), "missing \(line.debugDescription) in:\n\(hostPush.stderr)")
            }
            let onHost = try #require(try await fixture.get("stk1"))
            #expect(onHost["stack"] as? String == "host")
            #expect((onHost["os"] as? [String: String])?["VERSION_ID"] == #""12""#)

            let listed = try await fixture.admin(["stack", "stk1"]).stdout
            #expect(listed.contains("* host") && listed.contains("  teststack"), "\(listed)")
            let refused = try await fixture.admin(["stack:set", "stk1", "nostack"], allowFailure: true)
            #expect(refused.status != 0 && refused.stderr.contains("not available"), "\(refused.stderr)")
            let set = try await fixture.admin(["stack:set", "stk1", "teststack"]).stdout
            #expect(set.contains("Setting stack to teststack... done"), "\(set)")
            #expect(try await fixture.admin(["stack", "-a", "stk1"]).stdout.contains("* teststack"))

            // The next push builds and runs on the stack.
            try await fixture.change(repo, ["VERSION": "2\n"])
            let (stackPush, stackSeconds) = try await pushUntilServed(fixture, repo, app: "stk1", version: "2")
            let output = stackPush.stderr
            for line in [
                "Building on the teststack stack", "STACK=teststack", #"os VERSION_ID="13""#,
                "sources.list: deb http://deb.debian.org/debian trixie main", "host-only binary: hidden", "installed: hello",
            ] {
                #expect(output.contains(line), "missing \(line.debugDescription) in:\n\(output)")
            }
            #expect(!output.contains("attack done"), "\(output)")
            #expect(output.components(separatedBy: "attack refused").count == 8, "\(output)")
            let onStack = try #require(try await fixture.get("stk1"))
            #expect(onStack["stack"] as? String == "teststack")
            #expect((onStack["os"] as? [String: String])?["VERSION_ID"] == #""13""#)
            #expect((onStack["sources"] as? String)?.contains("deb http://deb.debian.org/debian trixie main") == true)
            #expect(onStack["hostOnly"] as? Bool == false)
            #expect(onStack["hello"] as? String == "Hello, world!")
            let attacks = try #require(onStack["attacks"] as? [String: String])
            #expect(attacks.count == 7 && attacks.values.allSatisfy { $0 != "done" }, "\(attacks)")

            // Nothing of the stack changed on disk.
            #expect(TestStack.fingerprint(fixture.dataDir) == before)
            for path in ["run/usr/bin/evil-dyno", "build/usr/bin/evil-build", "build/etc/evil-build", "run/evil-dyno", "build/evil-build"] {
                #expect(!FileManager.default.fileExists(atPath: fixture.dataDir + "/stacks/teststack/" + path))
            }
            print("push → first 200: host /usr \(hostSeconds) s, stack \(stackSeconds) s")

            // The release keeps the stack it was built on: back to the host stack for the next build,
            // a restarted dyno of this release still runs on teststack.
            try await fixture.admin(["stack:set", "stk1", "host"])
            let instance = try #require(onStack["instance"] as? String)
            try await fixture.admin(["ps:restart", "stk1"])
            var restarted: [String: Any] = [:]
            try await fixture.eventually("a restarted dyno answers") {
                guard let answer = try await fixture.routed("stk1"), answer.status == 200, let json = answer.json,
                    json["instance"] as? String != instance
                else { return false }
                restarted = json
                return true
            }
            #expect(restarted["stack"] as? String == "teststack")
            #expect((restarted["os"] as? [String: String])?["VERSION_ID"] == #""13""#)

            // A one-off of the release runs on its stack too; a user who is not an admin cannot
            // build a stack over SSH.
            let port = try #require(fixture.daemon.ready["ssh"].flatMap { $0.split(separator: ":").last }.flatMap { Int($0) })
            let adminKey = try await TestKey.generate("ed25519", in: fixture.directory.path, name: "admin")
            try await fixture.admin(["keys:add", "--user", "dev@example.com"], input: adminKey.publicKey)
            let oneOff = try await SSHClient(port: port, key: adminKey).run(
                "run:detached stk1 'grep VERSION_ID= /etc/os-release; echo one-off STACK=$STACK'")
            #expect(oneOff.status == 0, "\(oneOff.stderr)")
            try await fixture.eventually("the one-off's output") {
                let log = try await fixture.log("stk1")
                return log.contains(#"VERSION_ID="13""#) && log.contains("one-off STACK=teststack")
            }
            try await fixture.admin(["users:create", "mallory@example.com"])
            let key = try await TestKey.generate("ed25519", in: fixture.directory.path, name: "mallory")
            try await fixture.admin(["keys:add", "--user", "mallory@example.com"], input: key.publicKey)
            let attempt = try await SSHClient(port: port, key: key).run("stacks:build evilstack")
            #expect(attempt.status != 0 && attempt.stderr.contains("Only admins may build stacks"), "\(attempt.stderr)")
            #expect(!FileManager.default.fileExists(atPath: fixture.dataDir + "/stacks/evilstack"))
        }

        /// Push → first 200 of the new version, on the legacy stack and on the test stack, three
        /// times each (`OPENRUKO_BENCH_STACKS=1`; prints the medians).
        @Test(.enabled(if: ProcessInfo.processInfo.environment["OPENRUKO_BENCH_STACKS"] == "1"))
        func pushToFirst200OnTheHostAndOnTheStack() async throws {
            let fixture = try await RuntimeFixture.start()
            defer { Task { await fixture.daemon.stop() } }
            try await TestStack.install(into: fixture.dataDir)
            var seconds: [String: [Double]] = [:]
            var repos: [String: String] = [:]
            for app in ["benchhost", "benchstack"] {
                try await fixture.admin(["apps:create", app])
                repos[app] = try await fixture.repository(["server": Self.server, "Procfile": "web: python3 server\n", "VERSION": "0\n"])
            }
            try await fixture.admin(["stack:set", "benchstack", "teststack"])
            for round in 1...4 {
                for app in ["benchhost", "benchstack"] {
                    try await fixture.change(repos[app]!, ["VERSION": "\(round)\n"])
                    let (_, elapsed) = try await pushUntilServed(fixture, repos[app]!, app: app, version: "\(round)")
                    if round > 1 { seconds[app, default: []].append(elapsed) }  // the first warms caches
                }
            }
            let onStack = try #require(try await fixture.get("benchstack"))
            #expect(onStack["stack"] as? String == "teststack")
            for (app, times) in seconds.sorted(by: { $0.key < $1.key }) {
                print("push → first 200 on \(app): median \(times.sorted()[times.count / 2]) s of \(times)")
            }
        }
    }
}
