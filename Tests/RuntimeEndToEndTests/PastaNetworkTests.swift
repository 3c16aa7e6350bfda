import Foundation
import Testing
import TestSupport

extension RuntimeEndToEnd {
    /// Dynos on networks of their own when openruko is NOT root: a pasta per dyno (see
    /// `UnprivilegedFixture` for how the tests run openruko as an ordinary user). Attacks from
    /// inside a dyno: the host's loopback services and another app's dyno are out of reach,
    /// while "the internet" (a namespace the test made) is reachable and the router serves.
    @Suite(
        .timeLimit(.minutes(15)),
        .enabled(if: geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/pasta"), "needs root (to make a user) and pasta"))
    struct PastaNetworkTests {
        @Test func aDynoReachesTheOutsideButNotTheHostsLoopbackNorOtherDynos() async throws {
            let outside = try await DynoNetworkTests.OutsideHost()
            let fixture = try await UnprivilegedFixture.start()
            defer { Task { await fixture.daemon.stop(); await outside.remove() } }
            #expect(fixture.daemon.log.contains("through pasta"), "\(fixture.daemon.log)")
            try await fixture.deploy("victim", TestApp.files())
            try await fixture.deploy("evil", TestApp.files())

            // The router serves both, through the port pasta forwards from the host's loopback.
            #expect(try await fixture.routed("victim")?.json?["dyno"] as? String == "web.1")
            #expect(try await fixture.routed("evil")?.json?["dyno"] as? String == "web.1")
            let victim = try #require(try await fixture.webPort("victim"))
            let own = try #require(try await fixture.webPort("evil"))
            #expect(victim != own)

            // The outside world is reachable (from the host's side, pasta's sockets).
            try await fixture.eventually("the outside server answers") {
                try await ProcessRunner.run("/usr/bin/curl", ["-s", "-o", "/dev/null", "--max-time", "2", outside.url]).status == 0
            }
            #expect(try await fixture.fetch("evil", outside.url) == 200, "the outside world is reachable")

            // The host's loopback services: the API, SSH, the router, its TLS side, the
            // rendezvous, and the other app's dyno as the router reaches it.
            var targets = ["http://127.0.0.1:\(victim)/", "http://localhost:\(victim)/", "http://[::1]:\(victim)/"]
            for port in fixture.daemon.ports.values.sorted() {
                targets += ["http://127.0.0.1:\(port)/", "http://[::1]:\(port)/"]
            }
            // A host service on every address: the dyno's copy of the host's address is its own.
            let service = try await LoopbackHTTPServer.start(address: "0.0.0.0")
            let wildcard = service.port
            defer { service.stop() }
            targets += ["http://127.0.0.1:\(wildcard)/"]
            // The host's main address, which pasta copied into the dyno's namespace.
            let address = try #require(try await fixture.webListener("evil")?.address)
            #expect(!address.hasPrefix("127."))
            targets.append("http://\(address):\(wildcard)/")
            for target in targets {
                #expect(try await fixture.fetch("evil", target) == nil, "a dyno reached \(target)")
            }
            // Its own port is its own: the dyno answers itself there, not the victim.
            #expect(try await fixture.fetch("evil", "http://127.0.0.1:\(own)/") == 200)

            // No dyno listens on a host address: the host end of each dyno's port is pasta's,
            // on loopback only.
            for port in [victim, own] {
                let listening = try await ProcessRunner.run("/usr/bin/ss", ["-Hltnp", "sport = :\(port)"]).stdout
                let lines = listening.split(separator: "\n")
                #expect(lines.count == 1 && lines.allSatisfy { $0.contains("127.0.0.1:\(port)") && $0.contains("passt") }, "\(listening)")
            }
            #expect(try await fixture.routed("victim")?.json?["uid"] as? Int == Int(fixture.uid), "the dyno runs as openruko's user")
        }

        @Test func pastaGoesWithItsDynoAndAKilledDaemonsLeftoversAreSwept() async throws {
            let fixture = try await UnprivilegedFixture.start()
            defer { Task { await fixture.daemon.stop() } }
            try await fixture.deploy("scaly", TestApp.files())
            try await fixture.admin(["ps:scale", "scaly", "web=2"])
            try await fixture.eventually("two pastas, one per dyno") { fixture.pastas().count == 2 }
            try await fixture.admin(["ps:scale", "scaly", "web=0"])
            try await fixture.eventually("no pasta once the dynos stopped") { fixture.pastas().isEmpty }

            // A daemon killed with kill -9 takes its dynos' pastas with it (parent-death signal).
            try await fixture.admin(["ps:scale", "scaly", "web=1"])
            try await fixture.eventually("a pasta for the dyno") { fixture.pastas().count == 1 }
            let port = try #require(try await fixture.webPort("scaly"))
            await fixture.daemon.kill()
            // (The kernel tears a killed daemon down, then signals its children: it may take a moment.)
            try await fixture.eventually("the killed daemon's pasta is gone and the port free") {
                let listening = try await ProcessRunner.run("/usr/bin/ss", ["-Hltn", "sport = :\(port)"]).stdout
                return fixture.pastas().isEmpty && listening.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
            }

            // One that stayed behind anyway (bookworm's pasta can, after a failure) is swept
            // when a daemon starts on the data directory. It is a stand-in with a pasta's command
            // line (what the sweep looks at): a real pasta started from this test process fails
            // now and then with "Couldn't install signal handlers" once other suites have run.
            let directory = fixture.dataDir + "/run/sandbox/pasta"
            let stray = UnprivilegedFixture.asUser(
                [
                    "/bin/bash", "-c", "exec -a /usr/bin/pasta python3 -c 'import time; time.sleep(600)' --config-net --pid \"$1\"",
                    "stray", directory + "/pasta-999999999-stray.pid",
                ], uid: fixture.uid, gid: fixture.gid, home: fixture.directory.path, tun: nil)
            let strayLog = fixture.directory.appending("stray-pasta.log")
            let leftover = try await BackgroundProcess(stray, log: strayLog)
            defer { leftover.stop() }
            do {
                try await fixture.eventually("the stray pasta runs") { !fixture.pastas().isEmpty }
            } catch {
                throw TestFailure("\(error); its output: \((try? String(contentsOfFile: strayLog, encoding: .utf8)) ?? "none")")
            }
            let strays = Set(fixture.pastas().map(\.pid))
            let again = try await UnprivilegedFixture.restart(fixture)
            defer { Task { await again.stop() } }
            // (The new daemon starts the app's dyno again, under a pasta of its own.)
            try await fixture.eventually("the stray pasta was swept") { Set(fixture.pastas().map(\.pid)).isDisjoint(with: strays) }
        }

        @Test func aBuildReachesTheOutsideButNotTheHostsLoopback() async throws {
            let outside = try await DynoNetworkTests.OutsideHost()
            let fixture = try await UnprivilegedFixture.start()
            defer { Task { await fixture.daemon.stop(); await outside.remove() } }
            try await fixture.eventually("the outside server answers") {
                try await ProcessRunner.run("/usr/bin/curl", ["-s", "-o", "/dev/null", "--max-time", "2", outside.url]).status == 0
            }
            let buildpack = try DynoNetworkTests.probeBuildpack(
                in: fixture.directory, outside: outside.url, api: "http://127.0.0.1:\(fixture.daemon.apiPort)/health")
            chmod(buildpack, 0o755)
            chmod(buildpack + "/bin", 0o755)
            try await fixture.admin(["apps:create", "probe"])
            try await fixture.admin(["buildpacks:set", "probe", buildpack])
            let push = try await fixture.push("probe", TestApp.files())
            #expect(push.stderr.contains("probe outside reached"), "\(push.stderr)")
            #expect(push.stderr.contains("probe api failed"), "\(push.stderr)")
        }

        @Test func anAdminMayLetDynosReachAHostLoopbackService() async throws {
            let service = try await LoopbackHTTPServer.start()
            let port = service.port
            defer { service.stop() }
            let fixture = try await UnprivilegedFixture.start(environment: ["OPENRUKO_DYNO_ALLOW": "127.0.0.1:\(port)"])
            defer { Task { await fixture.daemon.stop() } }
            try await fixture.deploy("allowed", TestApp.files())
            // At the same port of the dyno's own loopback, and nothing else of the host's.
            #expect(try await fixture.fetch("allowed", "http://127.0.0.1:\(port)/") == 200)
            #expect(try await fixture.fetch("allowed", "http://127.0.0.1:\(fixture.daemon.apiPort)/") == nil)
        }

        /// A Dockerfile app allowed by the admin is still refused, before any `RUN` step: buildah
        /// without root would run them on the host's network (and could not export the image).
        @Test func aContainerBuildIsRefusedWithoutRootBeforeAnyRunStep() async throws {
            let fixture = try await UnprivilegedFixture.start()
            defer { Task { await fixture.daemon.stop() } }
            try await fixture.admin(["apps:create", "boxed"])
            try await fixture.admin(["apps:container-builds", "boxed", "on"])
            let push = try await fixture.push(
                "boxed", ["Dockerfile": "FROM scratch\nCOPY VERSION /VERSION\nRUN [\"/x\", \"run-step-ran\"]\n", "VERSION": "1\n"])
            #expect(push.status != 0, "\(push.stderr)")
            #expect(push.stderr.contains("Container builds (Dockerfile, heroku.yml) need openruko to run as root"), "\(push.stderr)")
            #expect(push.stderr.contains("'buildpacks:set boxed heroku/python'"), "\(push.stderr)")
            #expect(!push.stderr.contains("STEP "), "no build step ran: \(push.stderr)")
        }

        /// `run:inside` (Heroku Fir's `heroku run:inside`) joins a pasta dyno: its network,
        /// processes and files, as openruko's user, never on the host. The dyno's namespaces
        /// belong to a user namespace inside pasta's, so the join passes through pasta's.
        @Test func runInsideJoinsAPastaDyno() async throws {
            let fixture = try await UnprivilegedFixture.start()
            defer { Task { await fixture.daemon.stop() } }
            try await fixture.deploy("inner", TestApp.files())
            let output = try await fixture.runInside("inner", Self.insideProbe)
            try Self.expectInside(output, fixture)
        }

        @Test func withoutAUsableTunDynosShareTheHostsNetworkWithAWarningNamingTheFix() async throws {
            let fixture = try await UnprivilegedFixture.start(tun: "600")
            defer { Task { await fixture.daemon.stop() } }
            #expect(fixture.daemon.log.contains("cannot open /dev/net/tun"), "\(fixture.daemon.log)")
            #expect(fixture.daemon.log.contains("chmod 0666 /dev/net/tun"))
            try await fixture.deploy("plain", TestApp.files())
            #expect(try await fixture.routed("plain")?.json?["dyno"] as? String == "web.1")
            #expect(fixture.pastas().isEmpty)
            // run:inside cannot join a dyno there (its namespaces belong to a user namespace no
            // process holds), and says so and what to do.
            let inside = try await fixture.runInside("plain", Self.insideProbe)
            #expect(inside.status != 0 && !inside.stdout.contains("same-host="), "\(inside.stdout)")
            #expect(
                (inside.stdout + inside.stderr).contains("only be joined when openruko runs as root or runs its dynos under pasta"),
                "\(inside.stdout)\(inside.stderr)")
        }

        /// What a joined process reports: its host name against the dyno's id, its user, its
        /// directory, whether it sees the dyno's web process, and its answer from `$PORT`.
        static let insideProbe = #"""
            echo "same-host=$([ "$(hostname)" = "$HEROKU_DYNO_ID" ] && echo yes) uid=$(id -u) cwd=$(pwd)"
            for f in /proc/[0-9]*/cmdline; do tr '\0' ' ' <"$f"; echo; done | grep -c '^python3 server' | sed 's/^/servers=/'
            python3 -c "import os, urllib.request; print('web-status', urllib.request.urlopen('http://127.0.0.1:%s/' % os.environ['PORT']).status)"
            grep -E '^(CapEff|NoNewPrivs):' /proc/self/status | tr -d '\t'
            """#

        static func expectInside(_ result: ProcessResult, _ fixture: UnprivilegedFixture) throws {
            #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
            #expect(result.stdout.contains("same-host=yes uid=\(fixture.uid) cwd=/app"), "\(result.stdout)\(result.stderr)")
            #expect(result.stdout.contains("servers=1"), "only the dyno's processes: \(result.stdout)")
            #expect(result.stdout.contains("web-status 200"), "\(result.stdout)\(result.stderr)")
            // Without privileges (none of pasta's it passed through) and unable to gain any.
            #expect(result.stdout.contains("CapEff:0000000000000000") && result.stdout.contains("NoNewPrivs:1"), "\(result.stdout)")
        }
    }
}

extension UnprivilegedFixture {
    /// Another daemon on `fixture`'s data directory, as the same user.
    static func restart(_ fixture: UnprivilegedFixture) async throws -> DaemonProcess {
        let launcher = asUser([OpenrukoBinary.path], uid: fixture.uid, gid: fixture.gid, home: fixture.directory.path, tun: fixture.tun)
        return try await DaemonProcess.start(
            executable: launcher[0], subcommand: Array(launcher.dropFirst()) + ["daemon"], dataDir: fixture.dataDir,
            arguments: ["--router-tls-listen", "127.0.0.1:0", "--rendezvous-listen", "127.0.0.1:0"], environment: fixture.environment)
    }
}

extension UnprivilegedFixture {
    /// `run:inside APP web.1 SCRIPT` (one word: the dyno's shell runs it) over SSH as the fixture's admin (with a new key of
    /// its own), once web.1 answers.
    func runInside(_ app: String, _ script: String) async throws -> ProcessResult {
        let key = try await TestKey.generate("ed25519", in: directory.path)
        let command = Self.asUser(
            [OpenrukoBinary.path, "admin", "--data-dir", dataDir, "keys:add", "--user", "dev@example.com"], uid: uid, gid: gid,
            home: directory.path, tun: nil)
        let added = try await ProcessRunner.run(command[0], Array(command.dropFirst()), input: Data(key.publicKey.utf8))
        if added.status != 0 { throw TestFailure("keys:add: \(added.stderr)") }
        try await eventually("web.1 of \(app) answers") { try await routed(app)?.status == 200 }
        let client = SSHClient(port: daemon.sshPort, key: key)
        let quoted = "'" + script.replacingOccurrences(of: "'", with: "'\\''") + "'"
        return try await ProcessRunner.run("/usr/bin/ssh", client.options + ["git@127.0.0.1", "run:inside \(app) web.1 \(quoted)"])
    }
}
