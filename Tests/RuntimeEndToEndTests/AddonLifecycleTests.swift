import Foundation
import Testing
import TestSupport

extension RuntimeEndToEnd {
    /// Add-on refusals, destroy (with its final backup and its detach release), an app's
    /// removal, the server's restart after it died, and the time from `addons:create` to an
    /// app serving with its database.
    @Suite(.timeLimit(.minutes(15))) struct AddonLifecycleTests {
        typealias Addons = AddonTests

        /// The backups of add-on `name` under `DATA_DIR/backups`.
        static func backups(_ fixture: RuntimeFixture, _ name: String) -> [String] {
            let directory = fixture.dataDir + "/backups"
            return ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
                .filter { $0.hasPrefix(name + "-") && $0.hasSuffix(".dump") }.map { directory + "/" + $0 }
        }

        @Test func refusalsThenDestroyKeepsABackupAndDetachesInANewRelease() async throws {
            let fixture = try await RuntimeFixture.start()
            do {
                try await fixture.admin(["apps:create", "shop"])
                let service = try await fixture.admin(["addons:create", "shop", "heroku-memcached"], allowFailure: true)
                #expect(service.status != 0 && service.stderr.contains("Couldn't find either the add-on service"), "\(service.stderr)")
                let plan = try await fixture.admin(["addons:create", "shop", "heroku-postgresql:mega-9"], allowFailure: true)
                #expect(plan.status != 0 && plan.stderr.contains("Couldn't find the plan \"mega-9\""), "\(plan.stderr)")
                #expect(try await Addons.addons(fixture, "shop").isEmpty, "a refusal provisions nothing")

                try await fixture.admin(["addons:create", "shop", "heroku-postgresql"])
                let name = try #require(try await Addons.addons(fixture, "shop").first)
                #expect(try await fixture.push(try await fixture.repository(AddonApp.files), app: "shop").status == 0)
                _ = try await Addons.serving(fixture, "shop")

                let unconfirmed = try await fixture.admin(["addons:destroy", name], allowFailure: true)
                #expect(unconfirmed.status != 0 && unconfirmed.stderr.contains("To proceed, pass --confirm shop"), "\(unconfirmed.stderr)")
                let wrong = try await fixture.admin(["addons:destroy", name, "--confirm", "other"], allowFailure: true)
                #expect(wrong.status != 0)
                #expect(try await Addons.db(fixture, "shop")?["count"] as? Int != nil, "a refused destroy changes nothing")

                let destroyed = try await fixture.admin(["addons:destroy", name, "--confirm", "shop"])
                #expect(destroyed.stdout.contains("final backup"))
                let backup = try #require(Self.backups(fixture, name).first)
                let listing = try await ProcessRunner.run("/usr/bin/pg_restore", ["-l", backup])
                #expect(listing.stdout.contains("TABLE public visits"), "the backup holds the app's table: \(listing.stdout)")
                let releases = try await fixture.admin(["releases", "shop"]).stdout
                #expect(releases.split(separator: "\n").dropFirst().first?.contains("Detach DATABASE (@ref:\(name))") == true, "\(releases)")
                #expect(!(try await fixture.admin(["config", "shop"]).stdout.contains("DATABASE_URL")))
                try await fixture.eventually("the dynos restart without DATABASE_URL") {
                    try await Addons.db(fixture, "shop")?["error"] as? String == "NoURL"
                }
                #expect(try await Addons.addons(fixture, "shop").isEmpty)

                // Removing an app destroys its add-ons the same way.
                try await fixture.admin(["addons:create", "shop", "postgresql", "--as", "SECOND"])
                let second = try #require(try await Addons.addons(fixture, "shop").first)
                try await fixture.admin(["apps:destroy", "shop", "--confirm", "shop"])
                #expect(Self.backups(fixture, second).count == 1, "a final backup of the app's add-on")
                #expect(try await fixture.admin(["addons", "--json"]).stdout.contains(second) == false)
            } catch {
                await Addons.finish(fixture)
                throw error
            }
            await Addons.finish(fixture)
        }

        @Test func aServerThatDiesIsRestartedAndTheAppReconnects() async throws {
            let fixture = try await RuntimeFixture.start()
            do {
                try await fixture.admin(["apps:create", "shop"])
                try await fixture.admin(["addons:create", "shop", "heroku-postgresql"])
                #expect(try await fixture.push(try await fixture.repository(AddonApp.files), app: "shop").status == 0)
                let before = try await Addons.serving(fixture, "shop")
                let pidFile = fixture.dataDir + "/services/postgresql/data/postmaster.pid"
                let pid = try #require(Int32(try String(contentsOfFile: pidFile, encoding: .utf8).split(separator: "\n")[0]))
                kill(pid, SIGKILL)
                try await fixture.eventually("the server runs again") {
                    guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8), let new = Int32(text.split(separator: "\n")[0])
                    else { return false }
                    return new != pid && kill(new, 0) == 0
                }
                let after = try await Addons.serving(fixture, "shop")
                #expect(after > before, "the rows written before the crash are still there")
                #expect(try await fixture.log("shop").contains("Database server stopped unexpectedly; restarted"))
            } catch {
                await Addons.finish(fixture)
                throw error
            }
            await Addons.finish(fixture)
        }

        @Test func aDaemonCrashLeavesTheServerRunningAndTheNextDaemonAdoptsIt() async throws {
            let fixture = try await RuntimeFixture.start()
            var again: RunningDaemon?
            do {
                try await fixture.admin(["apps:create", "shop"])
                try await fixture.admin(["addons:create", "shop", "heroku-postgresql"])
                #expect(try await fixture.push(try await fixture.repository(AddonApp.files), app: "shop").status == 0)
                let before = try await Addons.serving(fixture, "shop")
                let pidFile = fixture.dataDir + "/services/postgresql/data/postmaster.pid"
                let pid = try #require(Int32(try String(contentsOfFile: pidFile, encoding: .utf8).split(separator: "\n")[0]))
                await fixture.daemon.kill()
                #expect(kill(pid, 0) == 0, "the server outlives a crashed daemon")
                let next = RunningDaemon(dataDir: fixture.dataDir, environment: fixture.daemon.environment)
                again = next
                try await next.start()
                #expect(try await Addons.serving(fixture, "shop") > before, "the rows are still there")
                #expect(Int32(try String(contentsOfFile: pidFile, encoding: .utf8).split(separator: "\n")[0]) == pid, "adopted, not restarted")
                await next.stop()
                #expect(!FileManager.default.fileExists(atPath: pidFile), "a graceful stop stops the server")
            } catch {
                await again?.stop()
                await Addons.finish(fixture)
                throw error
            }
            await Addons.finish(fixture)
        }

        /// Not a pass/fail test: prints the wall time from `addons:create` to the app serving
        /// with the new database (three runs and their median).
        @Test func timeFromCreateToServing() async throws {
            let fixture = try await RuntimeFixture.start()
            do {
                try await fixture.admin(["apps:create", "shop"])
                #expect(try await fixture.push(try await fixture.repository(AddonApp.files), app: "shop").status == 0)
                var times: [Double] = []
                for _ in 0..<3 {
                    let start = ContinuousClock.now
                    try await fixture.admin(["addons:create", "shop", "heroku-postgresql"])
                    #expect(try await Addons.serving(fixture, "shop") == 1, "a new, empty database")
                    let elapsed = ContinuousClock.now - start
                    times.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
                    let name = try #require(try await Addons.addons(fixture, "shop").first)
                    try await fixture.admin(["addons:destroy", name, "--confirm", "shop"])
                    try await fixture.eventually("detached") { try await Addons.db(fixture, "shop")?["error"] as? String == "NoURL" }
                }
                let median = times.sorted()[1]
                print("addons:create → serving with the database: \(times.map { String(format: "%.2f", $0) }) s, median \(String(format: "%.2f", median)) s")
            } catch {
                await Addons.finish(fixture)
                throw error
            }
            await Addons.finish(fixture)
        }
    }
}
