import Foundation
import Testing
import TestSupport

extension RuntimeEndToEnd {
    /// PostgreSQL add-ons (issue 19) against the real server the daemon under test starts:
    /// an app writes and reads rows through `DATABASE_URL`, another tenant cannot get in, the
    /// refusals, destroy with its final backup, and a server that dies is restarted.
    @Suite(.timeLimit(.minutes(15))) struct AddonTests {
        /// What the app's `/db` page answered (`count` and `ssl`, or `error` and `message`).
        static func db(_ fixture: RuntimeFixture, _ app: String, url: String? = nil) async throws -> [String: Any]? {
            let query = url.map { "?url=" + ($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0) } ?? ""
            return try await fixture.get(app, "/db" + query)
        }

        /// Waits until the app's page reaches its database, and returns the row count it saw.
        static func serving(_ fixture: RuntimeFixture, _ app: String) async throws -> Int {
            var count: Int?
            try await fixture.eventually("\(app) reaches its database") {
                count = try await db(fixture, app)?["count"] as? Int
                return count != nil
            }
            return count!
        }

        /// The add-on names of an app (`addons --json`).
        static func addons(_ fixture: RuntimeFixture, _ app: String) async throws -> [String] {
            let list = try JSONSerialization.jsonObject(with: Data(try await fixture.admin(["addons", app, "--json"]).stdout.utf8))
            return (list as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        }

        /// Stops the daemon and, should it have left it running, its PostgreSQL server.
        static func finish(_ fixture: RuntimeFixture) async {
            await fixture.daemon.stop()
            let data = fixture.dataDir + "/services/postgresql/data"
            if FileManager.default.fileExists(atPath: data + "/postmaster.pid") {
                _ = try? await ProcessRunner.run(
                    "/usr/sbin/runuser", ["-u", "postgres", "--", "/usr/lib/postgresql/15/bin/pg_ctl", "-D", data, "-m", "immediate", "stop"])
            }
        }

        /// Runs `sql` in the app's `DATABASE` as the server's admin over its socket (test data,
        /// written faster than through the app).
        static func asServerAdmin(_ fixture: RuntimeFixture, _ app: String, _ sql: String) async throws {
            let url = try await fixture.admin(["config:get", app, "DATABASE_URL"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let database = try #require(URLComponents(string: url)?.path.dropFirst()).description
            let port = try #require(URLComponents(string: url)?.port)
            let result = try await ProcessRunner.run(
                "/usr/sbin/runuser",
                ["-u", "postgres", "--", "/usr/lib/postgresql/15/bin/psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", fixture.dataDir + "/services/postgresql/run",
                 "-p", String(port), "-d", database, "-c", sql])
            try #require(result.status == 0, "\(result.stderr)")
        }

        /// The password in a `postgres://ROLE:PASSWORD@…` URL.
        static func password(_ url: String) -> String {
            String(url.split(separator: "@")[0].split(separator: ":").last ?? "")
        }

        @Test func anAppWritesAndReadsItsDatabaseThroughDatabaseURL() async throws {
            let fixture = try await RuntimeFixture.start()
            do {
                try await fixture.admin(["apps:create", "shop"])
                let created = try await fixture.admin(["addons:create", "shop", "heroku-postgresql:essential-0"])
                #expect(created.stdout.contains("Created postgresql-") && created.stdout.contains("DATABASE_URL"), "\(created.stdout)")
                let name = try #require(try await Self.addons(fixture, "shop").first)
                let pushed = try await fixture.push(try await fixture.repository(AddonApp.files), app: "shop")
                #expect(pushed.status == 0, "\(pushed.stderr)")

                let first = try await Self.serving(fixture, "shop")
                let next = try #require(try await Self.db(fixture, "shop"))
                #expect(next["count"] as? Int == first + 1, "the row written before is read back: \(next)")
                #expect(next["ssl"] as? Bool == true, "the connection is encrypted")

                let url = try await fixture.admin(["config:get", "shop", "DATABASE_URL"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                #expect(url.hasPrefix("postgres://") && url.hasSuffix("?sslmode=require"))
                let config = try await fixture.admin(["config", "shop", "--json"]).stdout
                let vars = try JSONSerialization.jsonObject(with: Data(config.utf8)) as? [String: String] ?? [:]
                #expect(vars.filter { $0.key.hasPrefix("HEROKU_POSTGRESQL_") && $0.key.hasSuffix("_URL") }.values.first == url)
                let releases = try await fixture.admin(["releases", "shop"]).stdout
                #expect(releases.contains("Attach DATABASE (@ref:\(name))"), "\(releases)")

                // The credentials are in config vars only: not in the app's log, the push output or the daemon's output.
                let secret = Self.password(url)
                #expect(secret.count == 64)
                #expect(!(try await fixture.log("shop")).contains(secret))
                #expect(!pushed.stderr.contains(secret) && !pushed.stdout.contains(secret))
                #expect(!fixture.daemon.printed.contains(secret))
                let info = try await fixture.admin(["addons:info", name])
                #expect(info.stdout.contains("shop::DATABASE") && !info.stdout.contains(secret))
            } catch {
                await Self.finish(fixture)
                throw error
            }
            await Self.finish(fixture)
        }

        @Test func anotherTenantsDynoCannotUseTheDatabaseNorSeeItsURL() async throws {
            let scene = try await HostileTenantTests.scene(victimApp: nil)
            let fixture = scene.fixture
            do {
                try await fixture.admin(["apps:create", "victim"])
                try await fixture.admin(["addons:create", "victim", "postgresql"])
                let victimAddon = try #require(try await Self.addons(fixture, "victim").first)
                #expect(try await fixture.push(try await fixture.repository(AddonApp.files), app: "victim").status == 0)
                let victimURL = try await fixture.admin(["config:get", "victim", "DATABASE_URL"]).stdout
                    .trimmingCharacters(in: .whitespacesAndNewlines)
                let victimDatabase = try #require(victimURL.split(separator: "/").last?.split(separator: "?").first.map(String.init))

                #expect(try await scene.attacker.run("apps:create evil").status == 0)
                let attached = try await scene.attacker.run("addons:create evil heroku-postgresql")
                #expect(attached.status == 0, "\(attached.stderr)")
                #expect(try await scene.push(try await fixture.repository(AddonApp.files), app: "evil").status == 0)
                let evilURL = try await scene.attacker.run("config:get evil DATABASE_URL").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                _ = try await Self.serving(fixture, "evil")
                _ = try await Self.serving(fixture, "victim")

                // Its own credentials, the victim's database (or the server's own): pg_hba refuses.
                let evilDatabase = try #require(evilURL.split(separator: "/").last?.split(separator: "?").first.map(String.init))
                for target in [victimDatabase, "postgres", "template1"] {
                    let forged = evilURL.replacingOccurrences(of: "/\(evilDatabase)?", with: "/\(target)?")
                    let answer = try #require(try await Self.db(fixture, "evil", url: forged))
                    #expect(answer["count"] == nil, "the attacker's role got into \(target)")
                    #expect((answer["message"] as? String ?? "").contains("pg_hba.conf"), "\(answer)")
                }
                // The victim's role name with the attacker's password: the password is refused.
                let victimRole = victimDatabase
                let guessed = evilURL.replacingOccurrences(of: "://\(evilDatabase):", with: "://\(victimRole):")
                    .replacingOccurrences(of: "/\(evilDatabase)?", with: "/\(victimDatabase)?")
                let refused = try #require(try await Self.db(fixture, "evil", url: guessed))
                #expect(refused["count"] == nil && (refused["message"] as? String ?? "").contains("password authentication failed"))

                // Nor may the attacker read, find or destroy the victim's add-on.
                let config = try await scene.attacker.run("config victim")
                #expect(config.status != 0 && !config.stdout.contains(Self.password(victimURL)))
                for command in ["addons:info \(victimAddon)", "addons:destroy \(victimAddon) --confirm victim", "addons victim"] {
                    let result = try await scene.attacker.run(command)
                    #expect(result.status != 0 && result.stderr.contains("Couldn't find that"), "\(command): \(result.stderr)")
                }
                #expect(!(try await scene.attacker.run("addons").stdout.contains(victimAddon)))
                // Nor take the connections the victim's plan promises: the biggest plan fits once, not twice.
                #expect(try await scene.attacker.run("addons:create evil heroku-postgresql:standard-3").status == 0)
                let hog = try await scene.attacker.run("addons:create evil heroku-postgresql:standard-3")
                #expect(hog.status != 0 && hog.stderr.contains("has room for 50 more connections; plan standard-3 needs 500"), "\(hog.stderr)")
                #expect(try await Self.db(fixture, "victim")?["count"] as? Int != nil, "the victim's database still serves")
            } catch {
                await Self.finish(fixture)
                throw error
            }
            await Self.finish(fixture)
        }
    }
}
