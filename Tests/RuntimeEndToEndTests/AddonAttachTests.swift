import Foundation
import Testing
import TestSupport

extension RuntimeEndToEnd {
    /// `addons:attach` and `addons:detach` (issue 19): one database shared by two apps of the
    /// same user, gone from the second app when detached or destroyed; another user can attach
    /// nothing to this user's apps nor this user's add-ons to hers.
    @Suite(.timeLimit(.minutes(15))) struct AddonAttachTests {
        @Test func attachSharesTheDatabaseAndDetachRemovesTheVar() async throws {
            let scene = try await HostileTenantTests.scene(victimApp: nil)
            let fixture = scene.fixture
            do {
                try await fixture.admin(["apps:create", "shop"])
                try await fixture.admin(["apps:create", "reports"])
                try await fixture.admin(["addons:create", "shop", "heroku-postgresql"])
                let name = try #require(try await AddonTests.addons(fixture, "shop").first)
                let url = try await fixture.admin(["config:get", "shop", "DATABASE_URL"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)

                let attached = try await fixture.admin(["addons:attach", name, "--app", "reports", "--as", "SHARED"])
                #expect(attached.stdout.contains("SHARED_URL"), "\(attached.stdout)")
                #expect(try await fixture.admin(["config:get", "reports", "SHARED_URL"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines) == url)
                #expect(try await fixture.admin(["releases", "reports"]).stdout.contains("Attach SHARED (@ref:\(name))"))
                #expect(try await fixture.admin(["addons:info", name]).stdout.contains("shop::DATABASE, reports::SHARED"))
                // The app it is shared with lists it too, under its attachment there.
                let listed = try await fixture.admin(["addons", "reports"]).stdout
                #expect(listed.contains("(\(name))") && listed.contains("reports::SHARED") && listed.contains("attached (of shop)"), "\(listed)")
                let again = try await fixture.admin(["addons:attach", name, "--app", "reports"], allowFailure: true)
                #expect(again.status != 0, "attached twice: \(again.stdout)")
                let own = try await fixture.admin(["addons:attach", name, "--app", "shop"], allowFailure: true)
                #expect(own.status != 0 && own.stderr.contains("belongs to shop"), "\(own.stderr)")

                // The second app writes into the first app's database.
                #expect(try await fixture.push(try await fixture.repository(AddonApp.files), app: "reports").status == 0)
                var first: Int?
                try await fixture.eventually("reports reaches the shared database") {
                    first = try await fixture.get("reports", "/db?var=SHARED_URL")?["count"] as? Int
                    return first != nil
                }
                #expect(try await fixture.get("reports", "/db?var=SHARED_URL")?["count"] as? Int == first! + 1)

                // Another user: neither this user's add-on onto her app, nor hers onto this user's app.
                #expect(try await scene.attacker.run("apps:create evil").status == 0)
                let stolen = try await scene.attacker.run("addons:attach \(name) --app evil")
                #expect(stolen.status != 0 && stolen.stderr.contains("Couldn't find that add-on."), "\(stolen.stderr)")
                #expect(try await scene.attacker.run("addons:create evil heroku-postgresql").status == 0)
                let evilAddon = try #require(try await AddonTests.addons(fixture, "evil").first)
                let planted = try await scene.attacker.run("addons:attach \(evilAddon) --app shop --as PLANTED")
                #expect(planted.status != 0 && planted.stderr.contains("Couldn't find that app."), "\(planted.stderr)")
                let detachOthers = try await scene.attacker.run("addons:detach SHARED --app reports")
                #expect(detachOthers.status != 0 && detachOthers.stderr.contains("Couldn't find that app."), "\(detachOthers.stderr)")
                #expect(!(try await fixture.admin(["config", "shop"]).stdout.contains("PLANTED")))

                // Detach: the var goes in a new release; the owner's own attachment is not detachable.
                let ownDetach = try await fixture.admin(["addons:detach", "DATABASE", "--app", "shop"], allowFailure: true)
                #expect(ownDetach.status != 0 && ownDetach.stderr.contains("addons:destroy"), "\(ownDetach.stderr)")
                try await fixture.admin(["addons:detach", "SHARED", "--app", "reports"])
                #expect(!(try await fixture.admin(["addons", "reports"]).stdout.contains(name)), "still listed after the detach")
                #expect(!(try await fixture.admin(["config", "reports"]).stdout.contains("SHARED_URL")))
                #expect(try await fixture.admin(["releases", "reports"]).stdout.contains("Detach SHARED (@ref:\(name))"))
                try await fixture.eventually("reports restarts without SHARED_URL") {
                    try await fixture.get("reports", "/db?var=SHARED_URL")?["error"] as? String == "NoURL"
                }

                // Attached again, then destroyed by its owner: gone from the other app too.
                try await fixture.admin(["addons:attach", name, "--app", "reports"])
                #expect(try await fixture.admin(["config:get", "reports", "DATABASE_URL"]).stdout.contains(url))
                try await fixture.admin(["addons:destroy", name, "--confirm", "shop"])
                #expect(!(try await fixture.admin(["config", "reports"]).stdout.contains("DATABASE_URL")))
                #expect(try await fixture.admin(["releases", "reports"]).stdout.contains("Detach DATABASE (@ref:\(name))"))
            } catch {
                await AddonTests.finish(fixture)
                throw error
            }
            await AddonTests.finish(fixture)
        }
    }
}
