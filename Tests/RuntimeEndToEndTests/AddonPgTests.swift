import Foundation
import Testing
import TestSupport

extension RuntimeEndToEnd {
    /// `pg:*` on a real add-on: a backup captured, the database changed, the backup restored
    /// and the change gone; `pg:info`; credentials rotated, the old password refused and the
    /// app connected again after its restart; `pg:psql` in a one-off dyno of the app.
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

        @Test func aBackupRestoresIntoAnotherDatabaseAndFromAnotherApp() async throws {
            let scene = try await HostileTenantTests.scene(victimApp: nil)
            let fixture = scene.fixture
            do {
                // Given shop with two databases (the app writes to DATABASE) and a backup of DATABASE
                try await fixture.admin(["apps:create", "shop"])
                try await fixture.admin(["addons:create", "shop", "heroku-postgresql"])
                let second = try await fixture.admin(["addons:create", "shop", "heroku-postgresql"]).stdout
                let words = second.split { $0 == " " || $0 == "," || $0.isNewline }
                let variable = try #require(words.first { $0.hasPrefix("HEROKU_POSTGRESQL_") && $0.hasSuffix("_URL") }, "\(second)")
                let attachment = String(variable.dropLast(4))
                #expect(try await fixture.push(try await fixture.repository(AddonApp.files), app: "shop").status == 0)
                let saved = try await Addons.serving(fixture, "shop")
                try await fixture.admin(["pg:backups:capture", "shop"])
                let secondURL = try await fixture.admin(["config:get", "shop", attachment + "_URL"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)

                // When b001 (DATABASE's only) is restored into the other database: its rows are there
                let restored = try await fixture.admin(["pg:backups:restore", "shop", "b001", attachment, "--confirm", "shop"])
                #expect(restored.stdout.contains("Restoring b001 to \(attachment)... done"), "\(restored.stdout)")
                #expect(try await Addons.db(fixture, "shop", url: secondURL)?["count"] as? Int == saved + 1, "the backup's rows, and one more")

                // And from another app of the same user, in Heroku's form OTHER::b001
                try await fixture.admin(["apps:create", "shop-staging"])
                try await fixture.admin(["addons:create", "shop-staging", "heroku-postgresql"])
                try await fixture.admin(["pg:backups:restore", "shop-staging", "shop::b001", "--confirm", "shop-staging"])
                let stagingURL = try await fixture.admin(["config:get", "shop-staging", "DATABASE_URL"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                #expect(try await Addons.db(fixture, "shop", url: stagingURL)?["count"] as? Int == saved + 1)

                // Refused, saying why: two databases of shop with a b001, none of the target app's, a
                // missing one, a malformed one, and another user's app (which reads as missing)
                try await fixture.admin(["pg:backups:capture", "shop", attachment])
                for (reference, says) in [
                    ("shop::b001", "of several databases"), ("b001", "Couldn't find backup b001 of shop-staging"),
                    ("shop::b009", "Couldn't find backup b009 of shop"),
                    ("shop::b001::x", "is not a backup"), ("nosuchapp::b001", "Couldn't find that app."),
                ] {
                    let refused = try await fixture.admin(["pg:backups:restore", "shop-staging", reference, "--confirm", "shop-staging"], allowFailure: true)
                    #expect(refused.status != 0 && refused.stderr.contains(says), "\(reference): \(refused.stderr)")
                }
                #expect(try await scene.attacker.run("apps:create evil").status == 0)
                #expect(try await scene.attacker.run("addons:create evil heroku-postgresql").status == 0)
                let stolen = try await scene.attacker.run("pg:backups:restore evil shop::b001 --confirm evil")
                #expect(stolen.status != 0 && stolen.stderr.contains("Couldn't find that app."), "\(stolen.stderr)")
            } catch {
                await Addons.finish(fixture)
                throw error
            }
            await Addons.finish(fixture)
        }

        @Test func psqlRunsInAOneOffDynoOfTheAppAndOnlyForItsUsers() async throws {
            let fixture = try await RuntimeFixture.start()
            do {
                try await fixture.admin(["apps:create", "shop"])
                try await fixture.admin(["addons:create", "shop", "heroku-postgresql"])
                #expect(try await fixture.push(try await fixture.repository(AddonApp.files), app: "shop").status == 0)
                _ = try await Addons.serving(fixture, "shop")
                let port = try #require(fixture.daemon.ready["ssh"].flatMap { $0.split(separator: ":").last }.flatMap { Int($0) })
                let ownerKey = try await TestKey.generate("ed25519", in: fixture.directory.path, name: "owner")
                try await fixture.admin(["keys:add", "--user", "dev@example.com"], input: ownerKey.publicKey)
                try await fixture.admin(["users:create", "mallory@example.com"])
                let malloryKey = try await TestKey.generate("ed25519", in: fixture.directory.path, name: "mallory")
                try await fixture.admin(["keys:add", "--user", "mallory@example.com"], input: malloryKey.publicKey)
                let owner = SSHClient(port: port, key: ownerKey)
                let mallory = SSHClient(port: port, key: malloryKey)

                // The owner's SQL runs as the database's own role, quotes and all, from a dyno
                let role = try await owner.run("pg:psql shop -c 'select current_user, 40 + 2 as answer'")
                #expect(role.status == 0, "\(role.stderr)")
                let url = try await fixture.admin(["config:get", "shop", "DATABASE_URL"]).stdout
                let user = try #require(URLComponents(string: url.trimmingCharacters(in: .whitespacesAndNewlines))?.user)
                #expect(role.stdout.contains(user) && role.stdout.contains("42"), "\(role.stdout)")
                let quoted = try await owner.run(#"pg:psql shop DATABASE -c "select 'it''s' || chr(33) as said""#)
                #expect(quoted.status == 0 && quoted.stdout.contains("it's!"), "\(quoted.stdout) \(quoted.stderr)")
                // A statement error is psql's exit status; the URL is never printed
                let failed = try await owner.run("pg:psql shop -c 'select * from no_such_table'")
                // (a one-off's output is one stream, as on Heroku: psql's error arrives on stdout)
                #expect(failed.status != 0 && (failed.stdout + failed.stderr).contains("no_such_table"), "\(failed.stdout) \(failed.stderr)")
                #expect(!(role.stdout + role.stderr + failed.stderr).contains(Addons.password(url)))
                // Another tenant, an unknown database: refused, nothing runs
                let refused = try await mallory.run("pg:psql shop -c 'select 1'")
                #expect(refused.status != 0 && refused.stderr.contains("Couldn't find that app"), "\(refused.stderr)")
                let unknown = try await owner.run("pg:psql shop HEROKU_POSTGRESQL_NOPE -c 'select 1'")
                #expect(unknown.status != 0 && unknown.stderr.contains("shop has no database HEROKU_POSTGRESQL_NOPE"), "\(unknown.stderr)")
            } catch {
                await Addons.finish(fixture)
                throw error
            }
            await Addons.finish(fixture)
        }
    }
}
