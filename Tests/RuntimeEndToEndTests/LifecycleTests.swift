import Foundation
import Synchronization
import Testing
import TestSupport

extension RuntimeEndToEnd {
    /// Dynos over time: crashes and back-off, SIGTERM and R12, scaling, restarts, stops, the
    /// daemon going away and coming back — while another app keeps serving.
    @Suite(.timeLimit(.minutes(15))) struct LifecycleTests {
        @Test func crashesRestartPerTheBackoffAndStubbornWorkersAreKilledWhileAnotherAppServes() async throws {
            let fixture = try await RuntimeFixture.start()
            defer { Task { await fixture.daemon.stop() } }
            try await fixture.deploy("steady", TestApp.files())
            let failures = Mutex<[String]>([])
            let requests = Atomic<Int>(0)
            let poller = Task {
                while !Task.isCancelled {
                    let started = ContinuousClock.now
                    let answer = try await fixture.routed("steady")
                    if answer?.status != 200 {
                        let what = answer.map { "\($0.status) \($0.body.prefix(200))" } ?? "no answer"
                        failures.withLock { $0.append("\(what) after \(ContinuousClock.now - started)") }
                    }
                    requests.add(1, ordering: .relaxed)
                    try await Task.sleep(for: .milliseconds(100))
                }
            }

            try await fixture.deploy(
                "flaky",
                TestApp.files(procfile: "worker: echo working; exit 0\nstubborn: trap '' TERM; echo ignoring TERM; while true; do sleep 1; done\n"))
            try await fixture.admin(["ps:scale", "flaky", "worker=1", "stubborn=1"])
            // Exit 0 is a crash: restarted at once, then after 2 s, then 4 s.
            try await fixture.eventually("worker.1 crashed twice and waits") {
                try await fixture.log("flaky").components(separatedBy: "heroku[worker.1]: Process exited with status 0").count >= 3
            }
            let log = try await fixture.log("flaky")
            #expect(log.contains("app[worker.1]: working"))
            #expect(log.contains("heroku[worker.1]: State changed from up to crashed"))
            #expect(log.contains("heroku[worker.1]: State changed from crashed to starting"))
            try await fixture.eventually("worker.1 restarted after its back-off") {
                try await fixture.log("flaky").components(separatedBy: "heroku[worker.1]: Starting process").count >= 4
            }

            try await fixture.eventually("stubborn.1 is up") { try await fixture.log("flaky").contains("app[stubborn.1]: ignoring TERM") }
            try await fixture.admin(["ps:scale", "flaky", "stubborn=0"])
            try await fixture.eventually("stubborn.1 killed after the grace period") {
                try await fixture.log("flaky").contains("heroku[stubborn.1]: Process exited with status 137")
            }
            let stopped = try await fixture.log("flaky")
            #expect(stopped.contains("heroku[stubborn.1]: Stopping all processes with SIGTERM"))
            #expect(stopped.contains("heroku[stubborn.1]: Error R12 (Exit timeout) -> At least one process failed to exit within 2 seconds of SIGTERM"))
            #expect(stopped.contains("heroku[stubborn.1]: Stopping remaining processes with SIGKILL"))
            #expect(!(try await fixture.dynos("flaky")).contains { $0.name == "stubborn.1" })

            poller.cancel()
            _ = try? await poller.value
            #expect(requests.load(ordering: .relaxed) > 10)
            let failed = failures.withLock { $0 }
            let steadyLog = failed.isEmpty ? "" : try await fixture.log("steady").split(separator: "\n").suffix(30).joined(separator: "\n")
            #expect(failed.isEmpty, "steady failed while flaky crashed and stopped: \(failed)\n\(steadyLog)")
        }

        @Test func scalingRestartingAndStoppingActOnRealDynos() async throws {
            let fixture = try await RuntimeFixture.start()
            defer { Task { await fixture.daemon.stop() } }
            try await fixture.deploy("scaly", TestApp.files())
            let scaled = try await fixture.admin(["ps:scale", "scaly", "web=3"])
            #expect(scaled.stdout.contains("now running web at 3:standard-1X"))
            try await fixture.eventually("three web dynos up") { try await fixture.webEndpoints("scaly").count == 3 }
            var names: Set<String> = []
            for port in try await fixture.webEndpoints("scaly") {
                names.insert(try #require(try await fixture.get("scaly", at: port)?["dyno"] as? String))
            }
            #expect(names == ["web.1", "web.2", "web.3"])
            let ps = try await fixture.admin(["ps", "scaly"]).stdout
            #expect(ps.contains("=== web (standard-1X): python3 server (3)"))
            #expect(ps.contains("web.2: up "))

            let before = Set(try await fixture.webEndpoints("scaly"))
            try await fixture.admin(["ps:restart", "scaly", "web.2"])
            let after = Set(try await fixture.webEndpoints("scaly"))
            #expect(after.count == 3)
            #expect(before.intersection(after).count == 2, "only web.2 was replaced")

            let stop = try await fixture.admin(["ps:stop", "scaly", "web.3"])
            #expect(stop.stdout.contains("Stopping web.3 dynos on scaly... done"))
            #expect(try await fixture.dynos("scaly").map(\.name).sorted() == ["web.1", "web.2"])
            let unknown = try await fixture.admin(["ps:restart", "scaly", "clock"], allowFailure: true)
            #expect(unknown.status != 0)
            #expect(unknown.stderr.contains("Couldn't find that process type or dyno (clock)."))

            try await fixture.admin(["ps:scale", "scaly", "web=0"])
            #expect(try await fixture.dynos("scaly").isEmpty)
            #expect(try await fixture.admin(["ps", "scaly"]).stdout.contains("No dynos on scaly"))
            try await fixture.eventually("web dynos stopped") {
                try await fixture.log("scaly").components(separatedBy: "State changed from up to down").count >= 5
            }
        }

        @Test func configChangesRollOutToNewDynos() async throws {
            let fixture = try await RuntimeFixture.start()
            defer { Task { await fixture.daemon.stop() } }
            try await fixture.deploy("confy", TestApp.files(procfile: "worker: echo worker sees $COLOR; sleep 600\n"))
            try await fixture.admin(["ps:scale", "confy", "worker=1"])
            let oldPort = try #require(try await fixture.webEndpoints("confy").first)
            try await fixture.admin(["config:set", "confy", "COLOR=teal"])
            let newPort = try #require(try await fixture.webEndpoints("confy").first)
            #expect(newPort != oldPort)
            let env = try #require(try await fixture.get("confy", at: newPort)?["env"] as? [String: String])
            #expect(env["COLOR"] == "teal")
            #expect(env["HEROKU_RELEASE_VERSION"] == "v3")
            try await fixture.eventually("the old web dyno stopped") { try await fixture.get("confy", at: oldPort) == nil }
            try await fixture.eventually("the worker was replaced") { try await fixture.log("confy").contains("app[worker.1]: worker sees teal") }
            #expect(try await fixture.dynos("confy").allSatisfy { $0.release == 3 })

            try await fixture.admin(["apps:destroy", "confy", "--confirm", "confy"])
            try await fixture.eventually("a destroyed app's dynos stop") { try await fixture.get("confy", at: newPort) == nil }
        }

        @Test func theSandboxSeesNothingOfTheHostOrOtherApps() async throws {
            let fixture = try await RuntimeFixture.start()
            defer { Task { await fixture.daemon.stop() } }
            try await fixture.deploy("nosy", TestApp.files(version: "nosy"))
            try await fixture.deploy("secret", TestApp.files(version: "secret", more: ["private.txt": "the secret\n"]))
            let port = try #require(try await fixture.webEndpoints("nosy").first)
            func read(_ path: String) async throws -> [String: Any]? {
                try await fixture.get("nosy", "/read?path=" + (path.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? path), at: port)
            }
            for hidden in [
                fixture.dataDir, fixture.dataDir + "/openruko.sqlite3", fixture.dataDir + "/run/runtime/dynos",
                fixture.dataDir + "/run/runtime/slugs", fixture.dataDir + "/slugs", "/etc/shadow", "/root",
            ] {
                #expect(try await read(hidden)?["error"] != nil, "\(hidden) is visible in the sandbox")
            }
            let app = try #require(try await read("/app")?["entries"] as? [String])
            #expect(app.contains("server"))
            #expect(!app.contains("private.txt"), "another app's /app is visible")
            #expect((try await fixture.get("nosy", at: port))?["version"] as? String == "nosy")
            #expect(try await fixture.get("nosy", "/write?path=%2Fapp%2Fnew.txt", at: port)?["written"] as? Bool == true)
            #expect(try await fixture.get("nosy", "/write?path=%2Fusr%2Fnew.txt", at: port)?["error"] != nil)
            #expect(try await fixture.get("nosy", "/write?path=%2Ftmp%2Fscratch", at: port)?["written"] as? Bool == true)
            // Another app's dynos are not even processes here.
            let processes = try #require(try await read("/proc")?["entries"] as? [String])
            #expect(processes.filter { Int($0) != nil }.count < 10)
        }

        @Test func aRestartedDaemonRunsTheFormationAgain() async throws {
            let fixture = try await RuntimeFixture.start()
            defer { Task { await fixture.daemon.stop() } }
            let repo = try await fixture.deploy("phoenix", TestApp.files(procfile: "worker: echo worker up; sleep 600\n"))
            try await fixture.admin(["ps:scale", "phoenix", "worker=1"])
            await fixture.daemon.stop()
            let down = try await fixture.admin(["ps", "phoenix"], allowFailure: true)
            #expect(down.stderr.contains("The openruko daemon is not running"))

            // A push without a daemon is recorded and says so; its dynos start with the daemon.
            try await fixture.change(repo, TestApp.files(version: "2", procfile: "worker: echo worker up; sleep 600\n"))
            let push = try await fixture.push(repo, app: "phoenix")
            #expect(push.status == 0, "\(push.stderr)")
            #expect(push.stderr.contains("The openruko daemon is not running: this release is recorded"))

            let again = RunningDaemon(dataDir: fixture.dataDir, environment: fixture.daemon.environment)
            try await again.start()
            defer { Task { await again.stop() } }
            try await fixture.eventually("web.1 and worker.1 up again") {
                let dynos = try await fixture.dynos("phoenix")
                return dynos.map(\.name).sorted() == ["web.1", "worker.1"] && dynos.allSatisfy { $0.state == "up" }
            }
            try await fixture.eventually("the new release serves") { try await fixture.get("phoenix")?["version"] as? String == "2" }
        }
    }
}
