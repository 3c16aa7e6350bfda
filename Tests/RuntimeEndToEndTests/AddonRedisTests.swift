import Foundation
import Testing
import TestSupport

extension RuntimeEndToEnd {
    /// Redis add-ons (issue 19) against the real redis-server the daemon under test starts: a
    /// counter app through `REDIS_URL` whose count survives a dyno restart, a daemon crash and
    /// the server's own death; the commands a tenant may not run; `maxmemory`; destroy with its
    /// final snapshot; another tenant's dyno cannot get in with its own credentials.
    @Suite(.timeLimit(.minutes(15))) struct AddonRedisTests {
        /// What the app answered at `path` (`count`, `result`, or `error` and `message`).
        static func get(_ fixture: RuntimeFixture, _ app: String, _ path: String, url: String? = nil) async throws -> [String: Any]? {
            let separator = path.contains("?") ? "&" : "?"
            let query = url.map { separator + "url=" + ($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0) } ?? ""
            return try await fixture.get(app, path + query)
        }

        /// Waits until the app counts through its Redis, and returns the count.
        static func counting(_ fixture: RuntimeFixture, _ app: String) async throws -> Int {
            var count: Int?
            try await fixture.eventually("\(app) counts through its Redis") {
                count = try await get(fixture, app, "/count")?["count"] as? Int
                return count != nil
            }
            return count!
        }

        /// One command's answer: its `result`, else its error message.
        static func command(_ fixture: RuntimeFixture, _ app: String, _ words: String) async throws -> String {
            let answer = try #require(try await get(fixture, app, "/cmd?c=" + (words.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? words)))
            return answer["result"].map { "\($0)" } ?? (answer["message"] as? String) ?? "\(answer)"
        }

        /// The pid of the add-on's redis-server (`services/redis/ID/redis.pid`).
        static func pid(_ fixture: RuntimeFixture) throws -> Int32 {
            let base = fixture.dataDir + "/services/redis"
            let id = try #require(try FileManager.default.contentsOfDirectory(atPath: base).first)
            return try #require(Int32(try String(contentsOfFile: "\(base)/\(id)/redis.pid", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        }

        /// Stops the daemon and every redis-server it may have left running.
        static func finish(_ fixture: RuntimeFixture, _ others: [RunningDaemon] = []) async {
            for daemon in others { await daemon.stop() }
            await fixture.daemon.stop()
            let base = fixture.dataDir + "/services/redis"
            for id in (try? FileManager.default.contentsOfDirectory(atPath: base)) ?? [] {
                if let text = try? String(contentsOfFile: "\(base)/\(id)/redis.pid", encoding: .utf8),
                    let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)),
                    (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?.hasPrefix("redis-server") == true
                {
                    kill(pid, SIGKILL)
                }
            }
        }

        @Test func aCounterSurvivesRestartsAndTheServerKeepsItsLimits() async throws {
            let fixture = try await RuntimeFixture.start()
            var again: RunningDaemon?
            do {
                try await fixture.admin(["apps:create", "counter"])
                let plan = try await fixture.admin(["addons:create", "counter", "heroku-redis:mega-9"], allowFailure: true)
                #expect(plan.status != 0 && plan.stderr.contains("Couldn't find the plan \"mega-9\""), "\(plan.stderr)")
                let created = try await fixture.admin(["addons:create", "counter", "redis"])
                #expect(created.stdout.contains("heroku-redis:mini") && created.stdout.contains("REDIS_URL"), "\(created.stdout)")
                let name = try #require(try await AddonTests.addons(fixture, "counter").first)
                #expect(name.hasPrefix("redis-"))
                let url = try await fixture.admin(["config:get", "counter", "REDIS_URL"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                #expect(url.hasPrefix("redis://:"))
                let vars = try JSONSerialization.jsonObject(with: Data(try await fixture.admin(["config", "counter", "--json"]).stdout.utf8)) as? [String: String] ?? [:]
                #expect(vars.filter { $0.key.hasPrefix("HEROKU_REDIS_") && $0.key.hasSuffix("_URL") }.values.first == url)
                #expect(try await fixture.admin(["releases", "counter"]).stdout.contains("Attach REDIS (@ref:\(name))"))
                #expect(try await fixture.admin(["addons:info", name]).stdout.contains("counter::REDIS"))

                let pid = try Self.pid(fixture)
                let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
                let uid = status.split(separator: "\n").first { $0.hasPrefix("Uid:") }?.split(separator: "\t").dropFirst().first
                #expect(uid != nil && uid != "0", "redis-server does not run as root: \(uid ?? "")")

                #expect(try await fixture.push(try await fixture.repository(RedisApp.files), app: "counter").status == 0)
                let first = try await Self.counting(fixture, "counter")
                #expect(try await Self.get(fixture, "counter", "/count")?["count"] as? Int == first + 1)

                // With the right password still: no reconfiguring (files on the host), no code, no replication.
                for words in ["CONFIG SET dir /tmp", "CONFIG GET requirepass", "DEBUG SLEEP 0", "MODULE LOAD /tmp/evil.so",
                              "REPLICAOF 127.0.0.1 1", "SLAVEOF 127.0.0.1 1", "ACL SETUSER default +config", "SHUTDOWN NOSAVE", "SAVE"] {
                    let answer = try await Self.command(fixture, "counter", words)
                    #expect(answer.contains("no permissions") || answer.contains("not allowed"), "\(words): \(answer)")
                }
                #expect(try await Self.get(fixture, "counter", "/cmd?c=PING")?["result"] != nil, "the server still serves")

                // maxmemory (mini: 25 MB), noeviction: the server refuses writes past it.
                let fill = try #require(try await Self.get(fixture, "counter", "/fill"))
                #expect((fill["message"] as? String ?? "").contains("OOM"), "\(fill)")
                #expect((fill["written"] as? Int ?? 99) < 30, "\(fill)")

                // A dyno restart, then a daemon crash: the server outlives it and the next daemon adopts it.
                try await fixture.admin(["ps:restart", "counter"])
                let restarted = try await Self.counting(fixture, "counter")
                #expect(restarted > first + 1, "the count survives a dyno restart")
                await fixture.daemon.kill()
                #expect(kill(pid, 0) == 0, "the server outlives a crashed daemon")
                let next = RunningDaemon(dataDir: fixture.dataDir, environment: fixture.daemon.environment)
                again = next
                try await next.start()
                let adopted = try await Self.counting(fixture, "counter")
                #expect(adopted > restarted, "the count survives a daemon crash")
                #expect(try Self.pid(fixture) == pid, "adopted, not restarted")

                // The server dies: it is restarted, the app's log says so, the count goes on.
                kill(pid, SIGKILL)
                try await fixture.eventually("the server runs again") { (try? Self.pid(fixture)).map { $0 != pid && kill($0, 0) == 0 } ?? false }
                #expect(try await Self.counting(fixture, "counter") >= 1)
                try await fixture.eventually("the log tells") { try await fixture.log("counter").contains("Redis server stopped unexpectedly; restarted") }
                #expect(!(try await fixture.log("counter")).contains(String(url.dropFirst(9).prefix(64))), "no password in the log")

                let current = try Self.pid(fixture)
                // Destroy: refused without --confirm, then a final snapshot and a detach release.
                let unconfirmed = try await fixture.admin(["addons:destroy", name], allowFailure: true)
                #expect(unconfirmed.status != 0 && unconfirmed.stderr.contains("--confirm counter"))
                let port = url.split(separator: ":").last.map(String.init) ?? ""
                let rules = { try await ProcessRunner.run("/usr/sbin/iptables", ["-t", "nat", "-S", "OPENRUKO-DNAT"]).stdout }
                let kernelNetwork = geteuid() == 0 && fixture.daemon.environment["OPENRUKO_DYNO_NETWORK"] != "host"
                if kernelNetwork { #expect(try await rules().contains("--dport \(port) "), "dynos reach the server") }
                try await fixture.admin(["addons:destroy", name, "--confirm", "counter"])
                if kernelNetwork { #expect(!(try await rules().contains("--dport \(port) ")), "the destroyed server's port stays open to dynos") }
                let backups = (try FileManager.default.contentsOfDirectory(atPath: fixture.dataDir + "/backups")).filter { $0.hasPrefix(name) && $0.hasSuffix(".rdb") }
                #expect(backups.count == 1, "\(backups)")
                #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.dataDir + "/services/redis").isEmpty)
                let state = (try? String(contentsOfFile: "/proc/\(current)/stat", encoding: .utf8))?.split(separator: ")").last?.split(separator: " ").first
                #expect(state == nil || state == "Z", "the server is stopped")
                #expect(try await fixture.admin(["releases", "counter"]).stdout.contains("Detach REDIS (@ref:\(name))"))
                #expect(!(try await fixture.admin(["config", "counter"]).stdout.contains("REDIS_URL")))
            } catch {
                await Self.finish(fixture, again.map { [$0] } ?? [])
                throw error
            }
            await Self.finish(fixture, again.map { [$0] } ?? [])
        }

        @Test func anotherTenantsDynoCannotUseTheRedisWithItsOwnPassword() async throws {
            let scene = try await HostileTenantTests.scene(victimApp: nil)
            let fixture = scene.fixture
            do {
                try await fixture.admin(["apps:create", "victim"])
                try await fixture.admin(["addons:create", "victim", "heroku-redis"])
                let victimAddon = try #require(try await AddonTests.addons(fixture, "victim").first)
                let victimURL = try await fixture.admin(["config:get", "victim", "REDIS_URL"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                #expect(try await scene.attacker.run("apps:create evil").status == 0)
                #expect(try await scene.attacker.run("addons:create evil heroku-redis").status == 0)
                #expect(try await scene.push(try await fixture.repository(RedisApp.files), app: "evil").status == 0)
                let evilURL = try await scene.attacker.run("config:get evil REDIS_URL").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                _ = try await Self.counting(fixture, "evil")

                // The victim's server, the attacker's password (or none): refused.
                let victimAddress = try #require(victimURL.split(separator: "@").last)
                let evilPassword = try #require(evilURL.split(separator: "@").first)
                for forged in ["\(evilPassword)@\(victimAddress)", "redis://\(victimAddress)"] {
                    let answer = try #require(try await Self.get(fixture, "evil", "/count", url: forged))
                    #expect(answer["count"] == nil, "the attacker counted on the victim's server: \(answer)")
                    let message = answer["message"] as? String ?? ""
                    #expect(message.contains("invalid username-password pair") || message.contains("NOAUTH") || message.contains("Authentication"), "\(answer)")
                }
                for command in ["addons:info \(victimAddon)", "addons:destroy \(victimAddon) --confirm victim"] {
                    let result = try await scene.attacker.run(command)
                    #expect(result.status != 0 && result.stderr.contains("Couldn't find that"), "\(command): \(result.stderr)")
                }
            } catch {
                await Self.finish(fixture)
                throw error
            }
            await Self.finish(fixture)
        }
    }
}
