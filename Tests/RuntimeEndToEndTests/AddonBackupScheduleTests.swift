import Foundation
import Testing
import TestSupport

extension RuntimeEndToEnd {
    /// Scheduled daily backups on a real daemon and PostgreSQL: a schedule due (made "two days
    /// ago" in the store) is captured at the daemon's start as `aNNN`, the oldest scheduled
    /// backups past seven go, a daemon killed and restarted captures nothing twice; hostile
    /// `--at` values are refused.
    @Suite(.timeLimit(.minutes(15))) struct AddonBackupScheduleTests {
        typealias Addons = AddonTests

        /// Makes the app's schedules that never ran look made two days ago (the daemon's next
        /// pass finds yesterday's and today's slots passed: it captures the latest once).
        static func backdate(_ fixture: RuntimeFixture) async throws {
            let result = try await ProcessRunner.run(
                "/usr/bin/sqlite3",
                ["-cmd", ".timeout 10000", fixture.dataDir + "/openruko.sqlite3",
                 "UPDATE backup_schedules SET created_at = datetime('now', '-2 days') WHERE last_slot IS NULL"])
            try #require(result.status == 0, "\(result.stderr)")
        }

        /// The ids `pg:backups APP` lists as scheduled.
        static func scheduled(_ fixture: RuntimeFixture, _ app: String) async throws -> [String] {
            try await fixture.admin(["pg:backups", app]).stdout.split(separator: "\n").filter { $0.contains(" Scheduled") }
                .compactMap { $0.split(separator: " ").first.map(String.init) }
        }

        @Test func aScheduleCapturesOnceADayKeepsSevenAndSurvivesACrash() async throws {
            let fixture = try await RuntimeFixture.start()
            do {
                try await fixture.admin(["apps:create", "shop"])
                try await fixture.admin(["addons:create", "shop", "heroku-postgresql"])
                let addon = try #require(try await Addons.addons(fixture, "shop").first)

                // Hostile and malformed --at values: refused, saying what to give
                for (at, says) in [
                    ("25:00", "is not an hour"), ("02:30", "run on the hour"), ("02:00 Mars/Base", "is not a time zone"),
                    ("02:00 ../../../etc/passwd", "is not a time zone"), ("02:00 UTC; touch /tmp/openruko-pwned", "is not a backup time"),
                    ("$(touch /tmp/openruko-pwned):00", "is not an hour"),
                ] {
                    let refused = try await fixture.admin(["pg:backups:schedule", "shop", "--at", at], allowFailure: true)
                    #expect(refused.status != 0 && refused.stderr.contains(says), "\(at): \(refused.stderr)")
                }
                #expect(!FileManager.default.fileExists(atPath: "/tmp/openruko-pwned"))
                let missing = try await fixture.admin(["pg:backups:schedule", "shop"], allowFailure: true)
                #expect(missing.status != 0 && missing.stderr.contains("--at '02:00"), "\(missing.stderr)")
                let none = try await fixture.admin(["pg:backups:schedules", "shop"]).stdout
                #expect(none.contains("No backup schedules"), "\(none)")

                // Scheduled at 02:00 New York time: listed, nothing captured yet
                let scheduled = try await fixture.admin(["pg:backups:schedule", "shop", "DATABASE_URL", "--at", "02:00 America/New_York"])
                #expect(scheduled.stdout.contains("of \(addon) at 02:00 America/New_York... done"), "\(scheduled.stdout)")
                let list = try await fixture.admin(["pg:backups:schedules", "shop"]).stdout
                #expect(list.contains("DATABASE_URL: daily at 02:00 America/New_York"), "\(list)")
                #expect(try await Self.scheduled(fixture, "shop").isEmpty)

                // Seven older scheduled backups and a manual one are there already
                try await fixture.admin(["pg:backups:capture", "shop"])
                let backups = fixture.dataDir + "/backups"
                for number in 2...8 {
                    _ = FileManager.default.createFile(atPath: backups + "/\(addon)-a00\(number).dump", contents: Data("old".utf8))
                }
                // When the schedule has been due since yesterday and the daemon restarts
                try await Self.backdate(fixture)
                await fixture.daemon.stop()
                try await fixture.daemon.start()
                // (the log line comes once the capture and the removal of the oldest are both done)
                try await fixture.eventually("the scheduled backup") { try await fixture.log("shop").contains("Scheduled backup a009 of DATABASE captured") }
                // Then one backup is captured (a009: the sequence goes on after b001 and a008), the oldest scheduled one goes, seven stay
                #expect(try await Self.scheduled(fixture, "shop") == ["a003", "a004", "a005", "a006", "a007", "a008", "a009"])
                #expect(try await fixture.admin(["pg:backups", "shop"]).stdout.contains("b001"), "manual backups stay")
                #expect(!((try? FileManager.default.contentsOfDirectory(atPath: backups)) ?? []).contains { $0.hasSuffix(".partial") }, "no half-written dump is left")

                // When the daemon crashes and restarts: a pass over every schedule runs (zzz's, due
                // too, comes after shop's), and shop's slot is not captured again
                try await fixture.admin(["apps:create", "zzz"])
                try await fixture.admin(["addons:create", "zzz", "heroku-postgresql"])
                try await fixture.admin(["pg:backups:schedule", "zzz", "--at", "0:00"])
                try await Self.backdate(fixture)
                await fixture.daemon.kill()
                try await fixture.daemon.start()
                try await fixture.eventually("zzz's scheduled backup") { try await Self.scheduled(fixture, "zzz") == ["a001"] }
                await fixture.daemon.stop()  // the pass ends before the daemon does
                #expect(try await Self.scheduled(fixture, "shop") == ["a003", "a004", "a005", "a006", "a007", "a008", "a009"])
                try await fixture.daemon.start()

                // Unscheduled: listed no more, its backups stay
                #expect(try await fixture.admin(["pg:backups:unschedule", "shop"]).stdout.contains("Stopping automatic backup schedule for DATABASE_URL"))
                #expect(!(try await fixture.admin(["pg:backups:schedules", "shop"]).stdout.contains("DATABASE_URL")))
                let again = try await fixture.admin(["pg:backups:unschedule", "shop"], allowFailure: true)
                #expect(again.status != 0 && again.stderr.contains("has no backup schedule"), "\(again.stderr)")
                #expect(try await Self.scheduled(fixture, "shop").count == 7)
            } catch {
                await Addons.finish(fixture)
                throw error
            }
            await Addons.finish(fixture)
        }
    }
}
