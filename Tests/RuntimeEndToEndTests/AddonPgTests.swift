import Foundation
import Testing
import TestSupport

extension RuntimeEndToEnd {
    /// `pg:*` on a real add-on: a backup captured, the database changed, the backup restored
    /// and the change gone; `pg:info`; credentials rotated, the old password refused and the
    /// app connected again after its restart.
    @Suite(.timeLimit(.minutes(15))) struct AddonPgTests {
        typealias Addons = AddonTests

        @Test func backupsRestoreAndCredentialRotation() async throws {
            let fixture = try await RuntimeFixture.start()
            do {
                try await fixture.admin(["apps:create", "shop"])
                try await fixture.admin(["addons:create", "shop", "heroku-postgresql"])
                #expect(try await fixture.push(try await fixture.repository(AddonApp.files), app: "shop").status == 0)
                let saved = try await Addons.serving(fixture, "shop")

                let captured = try await fixture.admin(["pg:backups:capture", "shop"])
                #expect(captured.stdout.contains("to b001... done"), "\(captured.stdout)")
                #expect(try await fixture.admin(["pg:backups", "shop"]).stdout.contains("b001"))
                _ = try await Addons.db(fixture, "shop")
                #expect(try await Addons.db(fixture, "shop")?["count"] as? Int == saved + 2, "the database changed")

                let unconfirmed = try await fixture.admin(["pg:backups:restore", "shop"], allowFailure: true)
                #expect(unconfirmed.status != 0 && unconfirmed.stderr.contains("--confirm shop"))
                try await fixture.admin(["pg:backups:restore", "shop", "b001", "DATABASE", "--confirm", "shop"])
                #expect(try await Addons.serving(fixture, "shop") == saved + 1, "the rows written after the backup are gone")

                let info = try await fixture.admin(["pg:info", "shop"]).stdout
                #expect(info.contains("DATABASE_URL") && info.contains("/20") && info.contains("PG Version:"), "\(info)")
                #expect(info.split(separator: "\n").contains { $0.hasPrefix("Tables:") && $0.hasSuffix(" 1") }, "one table: \(info)")

                let old = try await fixture.admin(["config:get", "shop", "DATABASE_URL"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                let refused = try await fixture.admin(["pg:credentials:rotate", "shop"], allowFailure: true)
                #expect(refused.status != 0 && refused.stderr.contains("--confirm shop"))
                try await fixture.admin(["pg:credentials:rotate", "shop", "--confirm", "shop"])
                let new = try await fixture.admin(["config:get", "shop", "DATABASE_URL"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                #expect(new != old && Addons.password(new).count == 64)
                let releases = try await fixture.admin(["releases", "shop"]).stdout
                #expect(releases.split(separator: "\n").dropFirst().first?.contains("Update DATABASE by heroku-postgresql") == true, "\(releases)")
                // The old password stopped working at once: the app serves again once its dynos restarted with the new URL.
                #expect(try await Addons.serving(fixture, "shop") == saved + 2)
                #expect(!(try await fixture.log("shop")).contains(Addons.password(new)))
                let stale = try #require(try await Addons.db(fixture, "shop", url: old))
                #expect((stale["message"] as? String ?? "").contains("password authentication failed"), "\(stale)")
            } catch {
                await Addons.finish(fixture)
                throw error
            }
            await Addons.finish(fixture)
        }
    }
}
