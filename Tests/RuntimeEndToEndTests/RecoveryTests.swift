import Foundation
import Testing
import TestSupport

extension RuntimeEndToEnd {
    /// What a crash leaves behind is repaired at the next start.
    @Suite(.timeLimit(.minutes(15))) struct RecoveryTests {
        @Test func aReleaseInterruptedByACrashIsMarkedFailedAtTheNextStart() async throws {
            let fixture = try await RuntimeFixture.start()
            defer { Task { await fixture.daemon.stop() } }
            let release = "release: if [ -n \"$SLOW\" ]; then echo slow release; sleep 600; fi\n"
            try await fixture.deploy("crashy", TestApp.files(procfile: release))
            // A config change whose release phase never ends; then the admin process that waits
            // for it and the daemon are both killed (SIGKILL: nothing gets to clean up).
            let change = try await BackgroundProcess([
                OpenrukoBinary.path, "admin", "--data-dir", fixture.dataDir, "config:set", "crashy", "SLOW=1",
            ])
            try await fixture.eventually("v3 pending in its release phase") {
                let pending = try await fixture.releases("crashy").last.map { $0.version == 3 && $0.status == "pending" } ?? false
                let log = try await fixture.log("crashy")
                return pending && log.contains("slow release")
            }
            change.stop()
            await fixture.daemon.kill()
            #expect(try await fixture.releases("crashy").last?.status == "pending", "nothing marked it yet")

            let again = RunningDaemon(dataDir: fixture.dataDir, environment: fixture.daemon.environment)
            try await again.start()
            defer { Task { await again.stop() } }
            let releases = try await fixture.releases("crashy")
            #expect(releases.map(\.status) == ["succeeded", "succeeded", "failed"], "\(releases)")
            #expect(again.printed.contains("Marked the interrupted release v3 of crashy failed"), "\(again.printed)")
            try await fixture.eventually("v2 serves again") {
                try await fixture.routed("crashy")?.json?["env"].flatMap { $0 as? [String: String] }?["HEROKU_RELEASE_VERSION"] == "v2"
            }
        }
    }
}
