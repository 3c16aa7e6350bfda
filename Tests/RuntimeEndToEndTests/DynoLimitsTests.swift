import Foundation
import Testing
import TestSupport

extension RuntimeEndToEnd {
    /// Dyno sizes as cgroup limits (openruko as root): memory (R14/R15), processes.
    @Suite(.timeLimit(.minutes(15)), .enabled(if: geteuid() == 0, "cgroups need root"))
    struct DynoLimitsTests {
        @Test func aDynoFarOverItsQuotaIsStoppedWithR15AndRestartedWhileOthersServe() async throws {
            let fixture = try await RuntimeFixture.start(environment: ["OPENRUKO_MEMORY_SAMPLE": "0.5", "OPENRUKO_METRICS_INTERVAL": "1"])
            defer { Task { await fixture.daemon.stop() } }
            try await fixture.deploy("neighbour", TestApp.files())
            // 1.5 GB as a standard-1X (512 MB quota, stopped at twice that).
            let hog = "hog: python3 -c \"import time; x = b'x' * (1536 << 20); time.sleep(600)\"\n"
            try await fixture.deploy("hungry", TestApp.files(procfile: hog))
            try await fixture.admin(["ps:scale", "hungry", "hog=1"])
            try await fixture.eventually("R15, then a restart") {
                let log = try await fixture.log("hungry")
                let starts = log.components(separatedBy: "heroku[hog.1]: Starting process").count - 1
                return log.contains("heroku[hog.1]: Error R15 (Memory quota vastly exceeded)") && starts >= 2
            }
            let log = try await fixture.log("hungry")
            #expect(log.contains("heroku[hog.1]: Stopping process with SIGKILL"))
            #expect(log.contains("heroku[hog.1]: State changed from up to crashed"), "\(log)")
            #expect(try await fixture.get("neighbour")?["dyno"] as? String == "web.1", "the other app keeps serving")
            #expect(try await fixture.get("hungry")?["dyno"] as? String == "web.1", "the app's web dyno keeps serving")
            #expect(!log.contains("sample#memory_total"), "runtime metrics are off unless the app turns them on")
            try await fixture.admin(["config:set", "neighbour", "OPENRUKO_LOG_RUNTIME_METRICS=true"])
            try await fixture.eventually("log-runtime-metrics lines") {
                try await fixture.log("neighbour").contains("heroku[web.1]: source=web.1 dyno=")
            }
            let metrics = try await fixture.log("neighbour").split(separator: "\n").first { $0.contains("sample#memory_total=") } ?? ""
            #expect(metrics.contains("sample#memory_rss=") && metrics.hasSuffix("sample#memory_quota=512.00MB"), "\(metrics)")
        }

        @Test func aForkBombStaysInsideItsDyno() async throws {
            let fixture = try await RuntimeFixture.start()
            defer { Task { await fixture.daemon.stop() } }
            try await fixture.deploy("neighbour", TestApp.files())
            // Bounded, so a missing limit fails the test instead of the machine.
            let bomb = """
                import os, time
                n = 0
                while n < 2000:
                    try:
                        pid = os.fork()
                    except OSError:
                        break
                    if pid == 0:
                        time.sleep(60)
                        os._exit(0)
                    n += 1
                print("forked", n, flush=True)
                time.sleep(600)
                """
            try await fixture.deploy("bomber", TestApp.files(procfile: "bomb: python3 bomb\n", more: ["bomb": bomb]))
            try await fixture.admin(["ps:scale", "bomber", "bomb=1"])
            var forked = 0
            try await fixture.eventually("the bomb reports") {
                let log = try await fixture.log("bomber")
                guard let range = log.range(of: "app[bomb.1]: forked ") else { return false }
                forked = Int(log[range.upperBound...].prefix { $0.isNumber }) ?? 0
                return true
            }
            #expect(forked > 10 && forked < 256, "a standard-1X dyno may hold 256 processes; it forked \(forked)")
            #expect(try await fixture.get("neighbour")?["dyno"] as? String == "web.1", "the other app keeps serving")
            #expect(try await fixture.admin(["apps"]).status == 0, "the daemon still answers")
            let ps = try await fixture.admin(["ps", "bomber"]).stdout
            #expect(ps.contains("=== bomb (standard-1X)"), "\(ps)")
        }
    }
}
