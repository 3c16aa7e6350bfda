import Foundation
import Testing
import TestSupport

extension RuntimeEndToEnd {
    /// The hostile-tenant suite: a real daemon, an admin's app (the victim) and an ordinary user
    /// (the attacker) who works only over SSH, as a tenant would. Each attack must fail with a
    /// clear message and change nothing.
    @Suite(.timeLimit(.minutes(15))) struct HostileTenantTests {
        /// The daemon, the attacker's SSH client and a pushed app of each.
        struct Scene {
            let fixture: RuntimeFixture
            let attacker: SSHClient
            /// `git push` of `path`'s main to `app` as the attacker, over SSH.
            func push(_ path: String, app: String) async throws -> ProcessResult {
                try await ProcessRunner.run(
                    "/usr/bin/git", ["push", attacker.url(app), "main"], environment: attacker.gitEnvironment, directory: path)
            }
        }

        static func scene(victimApp: String? = "victim", environment: [String: String] = [:]) async throws -> Scene {
            let fixture = try await RuntimeFixture.start(environment: environment)
            try await fixture.admin(["users:create", "mallory@example.com"])
            let key = try await TestKey.generate("ed25519", in: fixture.directory.path, name: "mallory")
            try await fixture.admin(["keys:add", "--user", "mallory@example.com"], input: key.publicKey)
            if let victimApp { try await fixture.deploy(victimApp, TestApp.files()) }
            let port = try #require(fixture.daemon.ready["ssh"].flatMap { $0.split(separator: ":").last }.flatMap { Int($0) })
            return Scene(fixture: fixture, attacker: SSHClient(port: port, key: key))
        }

        /// A shared library whose constructor appends its uid to `$MARKER` (when it can).
        static func preloadLibrary(into directory: String) async throws -> String {
            let source = directory + "/evil.c"
            try #"""
                #include <stdio.h>
                #include <stdlib.h>
                #include <unistd.h>
                __attribute__((constructor)) static void evil(void) {
                    const char *marker = getenv("MARKER");
                    if (!marker) return;
                    FILE *f = fopen(marker, "a");
                    if (f) { fprintf(f, "uid=%d\n", (int)getuid()); fclose(f); }
                }
                """#.write(toFile: source, atomically: true, encoding: .utf8)
            let compiler = FileManager.default.isExecutableFile(atPath: "/usr/bin/gcc") ? "/usr/bin/gcc" : "clang"
            let built = try await ProcessRunner.run(
                "/usr/bin/env", [compiler, "-shared", "-fPIC", "-o", directory + "/evil.so", source])
            guard built.status == 0 else { throw TestFailure("cannot build the preload library: \(built.stderr)") }
            try FileManager.default.removeItem(atPath: source)
            return directory + "/evil.so"
        }

        @Test func anLDPreloadConfigVarNeverRunsInAHostProcess() async throws {
            let scene = try await Self.scene(victimApp: nil)
            let fixture = scene.fixture
            defer { Task { await fixture.daemon.stop() } }
            #expect(try await scene.attacker.run("apps:create evil").status == 0)
            let repo = try await fixture.repository(TestApp.files())
            let library = try await Self.preloadLibrary(into: repo)
            try await fixture.commit(repo, "a library")
            let marker = fixture.directory.appending("preload-marker")
            // The attack works wherever the variable reaches: shown on the host, then removed.
            let control = try await ProcessRunner.run("/bin/true", [], environment: ["LD_PRELOAD": library, "MARKER": marker])
            #expect(control.status == 0 && FileManager.default.fileExists(atPath: marker))
            try FileManager.default.removeItem(atPath: marker)

            let push = try await scene.push(repo, app: "evil")
            #expect(push.status == 0, "\(push.stderr)")
            let set = try await scene.attacker.run("config:set evil LD_PRELOAD=/app/evil.so MARKER=\(marker)")
            #expect(set.status == 0, "\(set.stderr)")
            try await fixture.eventually("the dyno restarted with LD_PRELOAD") {
                let env = try await fixture.get("evil")?["env"] as? [String: String]
                return env?["LD_PRELOAD"] == "/app/evil.so"
            }
            #expect(try await scene.attacker.run("ps:restart evil").status == 0)
            try await fixture.eventually("the restarted dyno") { try await fixture.dynos("evil").first?.state == "up" }
            #expect(!FileManager.default.fileExists(atPath: marker), "a host process loaded the app's library")
        }

        @Test func tenantsAreSeparateUsersAndSeeNothingOfEachOther() async throws {
            let scene = try await Self.scene()
            let fixture = scene.fixture
            defer { Task { await fixture.daemon.stop() } }
            #expect(try await scene.attacker.run("apps:create evil").status == 0)
            let repo = try await fixture.repository(TestApp.files())
            #expect(try await scene.push(repo, app: "evil").status == 0)
            let evilUID = try #require(try await fixture.get("evil")?["uid"] as? Int)
            let victimUID = try #require(try await fixture.get("victim")?["uid"] as? Int)
            #expect(evilUID != victimUID)
            if geteuid() == 0 {
                #expect(evilUID >= 70000 && victimUID >= 70000)
                #expect(Self.owner(fixture.dataDir + "/cache/victim") == victimUID)
                #expect(Self.owner(fixture.dataDir + "/cache/evil") == evilUID)
            }
            for path in [fixture.dataDir, fixture.dataDir + "/cache/victim", fixture.dataDir + "/repos/victim.git", "/var/lib/openruko"] {
                let seen = try await fixture.get("evil", "/read?path=" + path)
                #expect(seen?["error"] != nil, "the attacker's dyno read \(path): \(String(describing: seen))")
            }
            // The victim's app, asked about by name, looks like no app at all.
            let info = try await scene.attacker.run("apps:info victim")
            let missing = try await scene.attacker.run("apps:info no-such-app")
            #expect(info.status != 0 && info.stderr == missing.stderr, "\(info.stderr)")
            #expect(try await scene.attacker.run("config:set victim A=1").stderr.contains("Couldn't find that app."))
        }

        static func owner(_ path: String) -> Int? {
            (try? FileManager.default.attributesOfItem(atPath: path))?[.ownerAccountID] as? Int
        }

        @Test func serverPathsAreForAdminsOnly() async throws {
            let scene = try await Self.scene()
            let fixture = scene.fixture
            defer { Task { await fixture.daemon.stop() } }
            #expect(try await scene.attacker.run("apps:create evil").status == 0)
            for reference in [fixture.dataDir + "/cache/victim", "file://" + fixture.dataDir + "/repos/victim.git", "/nonexistent"] {
                let set = try await scene.attacker.run("buildpacks:set evil \(reference)")
                #expect(set.status != 0 && set.stderr.contains("are for admins"), "\(set.stderr)")
                #expect(!set.stderr.contains("does not exist"))
            }
            let repo = try await fixture.repository(
                TestApp.files(more: [".buildpacks": "file://" + fixture.dataDir + "/repos/victim.git\n"]))
            let push = try await scene.push(repo, app: "evil")
            #expect(push.status != 0 && push.stderr.contains("are for admins"), "\(push.stderr)")
            let releases = try await fixture.releases("evil")
            #expect(releases.count == 1, "no release beyond v1: \(releases)")
            // Admins still may.
            #expect(try await fixture.admin(["buildpacks:set", "victim", "/nonexistent"]).status == 0)
        }

        @Test func smallHolesAreClosed() async throws {
            // Container builds for the apps an admin allows only (the default for all apps as root).
            let scene = try await Self.scene(victimApp: nil, environment: ["OPENRUKO_CONTAINER_BUILDS": "admin"])
            let fixture = scene.fixture
            defer { Task { await fixture.daemon.stop() } }
            #expect(try await scene.attacker.run("apps:create uploads").status == 0, "an app may be named uploads")
            for host in ["127.0.0.1", "169.254.169.254", "db.localhost"] {
                let added = try await scene.attacker.run("domains:add uploads \(host)")
                #expect(added.status != 0 && added.stderr.contains(" !     "), "\(host): \(added.stderr)")
            }
            let big = String(repeating: "x", count: 40_000)
            let set = try await scene.attacker.run("config:set uploads BIG=\(big)")
            #expect(set.status != 0 && set.stderr.contains("32 kB"), "\(set.stderr)")
            #expect(try await fixture.releases("uploads").count == 1)
            // A 409-byte alias bomb in heroku.yml is refused before it grows anything.
            var bomb = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
            let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"]
            for (previous, name) in zip(names, names.dropFirst()) {
                bomb += "\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 9).joined(separator: ",") + "]\n"
            }
            let repo = try await fixture.repository([
                "heroku.yml": bomb + "build:\n  docker:\n    web: Dockerfile\n", "Dockerfile": "FROM scratch\n",
            ])
            // Container builds are off until an admin allows them.
            let refused = try await scene.push(repo, app: "uploads")
            #expect(refused.status != 0 && refused.stderr.contains("Container builds (Dockerfile, heroku.yml) are off"))
            let allow = try await scene.attacker.run("apps:container-builds uploads on")
            #expect(allow.status != 0 && allow.stderr.contains(" !     "), "only admins allow them: \(allow.stderr)")
            try await fixture.admin(["apps:container-builds", "uploads", "on"])
            let push = try await scene.push(repo, app: "uploads")
            #expect(push.status != 0 && push.stderr.contains("expands to more than"), "\(push.stderr)")
            // The store's files are private to openruko.
            for file in ["openruko.sqlite3", "openruko.sqlite3-wal", "openruko.sqlite3-shm"] {
                let mode = (try? FileManager.default.attributesOfItem(atPath: fixture.dataDir + "/" + file))?[.posixPermissions] as? Int
                #expect(mode == nil || mode == 0o600, "\(file) is \(String(mode ?? 0, radix: 8))")
            }
            let repos = (try? FileManager.default.attributesOfItem(atPath: fixture.dataDir + "/repos"))?[.posixPermissions] as? Int
            #expect(repos == 0o700)
        }

        @Test(.enabled(if: geteuid() == 0, "cgroups need root"))
        func aBuildThatEatsMemoryIsStoppedAtItsLimit() async throws {
            let scene = try await Self.scene(victimApp: nil, environment: ["OPENRUKO_BUILD_MEMORY": "200"])
            let fixture = scene.fixture
            defer { Task { await fixture.daemon.stop() } }
            #expect(try await scene.attacker.run("apps:create hog").status == 0)
            let buildpack = fixture.directory.appending("hog-buildpack")
            try FileManager.default.createDirectory(atPath: buildpack + "/bin", withIntermediateDirectories: true)
            for (name, script) in [
                ("detect", "#!/bin/sh\necho hog\n"),
                ("compile", "#!/bin/sh\necho allocating\nexec python3 -c \"x = b'x' * (600 << 20)\"\n"),
                ("release", "#!/bin/sh\necho '--- {}'\n"),
            ] {
                try script.write(toFile: buildpack + "/bin/" + name, atomically: true, encoding: .utf8)
                chmod(buildpack + "/bin/" + name, 0o755)
            }
            try await fixture.admin(["buildpacks:set", "hog", buildpack])
            let repo = try await fixture.repository(TestApp.files())
            let push = try await scene.push(repo, app: "hog")
            #expect(push.status != 0 && push.stderr.contains("The build ran out of memory: builds may use 200 MB"), "\(push.stderr)")
            #expect(try await scene.attacker.run("whoami").status == 0, "the daemon still serves")
        }

        @Test(.enabled(if: geteuid() == 0, "mounts need root"))
        func aDynoCannotFillTheHostsDiskThroughApp() async throws {
            let scene = try await Self.scene(victimApp: nil)
            let fixture = scene.fixture
            defer { Task { await fixture.daemon.stop() } }
            // A worker writes 3 GB into /app (its slug's directory): the writes land in a tmpfs of
            // its memory quota (512 MB for standard-1X), not on the host's disk.
            let procfile = "worker: dd if=/dev/zero of=/app/fill bs=1M count=3000 2>&1 | tail -4; echo FILL''-ENDED; sleep 600\n"
            try await fixture.deploy("filler", TestApp.files(procfile: procfile))
            try await fixture.admin(["ps:scale", "filler", "worker=1"])
            try await fixture.eventually("the fill ends") { try await fixture.log("filler").contains("FILL-ENDED") }
            let log = try await fixture.log("filler")
            #expect(log.contains("No space left on device"), "\(log)")
            #expect(!log.contains("3000+0 records out"), "all 3 GB were written: \(log)")
            #expect(log.contains("536870912 bytes"), "it stops at its 512 MB quota: \(log)")
        }

        @Test func theSSHServerOffersOnlyStrongAlgorithms() async throws {
            let scene = try await Self.scene(victimApp: nil)
            let fixture = scene.fixture
            defer { Task { await fixture.daemon.stop() } }
            #expect(try await scene.attacker.run("whoami").status == 0)
            for weak in [
                ["-o", "KexAlgorithms=ecdh-sha2-nistp256"], ["-o", "HostKeyAlgorithms=ecdsa-sha2-nistp256"],
                ["-o", "MACs=hmac-sha2-256", "-o", "Ciphers=aes128-ctr"],
            ] {
                // LogLevel INFO: OpenSSH prints why it could not negotiate.
                let options = scene.attacker.options.map { $0 == "LogLevel=ERROR" ? "LogLevel=INFO" : $0 }
                let refused = try await ProcessRunner.run("/usr/bin/ssh", options + weak + ["git@127.0.0.1", "whoami"])
                #expect(refused.status != 0 && refused.stderr.contains("no matching"), "\(weak): \(refused.stderr)")
            }
        }
    }
}
