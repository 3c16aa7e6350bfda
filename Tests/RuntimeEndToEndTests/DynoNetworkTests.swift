import Foundation
import Synchronization
import Testing
import TestSupport

extension RuntimeEndToEnd {
    /// Dynos and builds on networks of their own (openruko as root): they reach the outside
    /// world, but not the host's services nor each other; the router still serves them.
    @Suite(.timeLimit(.minutes(15)), .enabled(if: geteuid() == 0, "kernel networking needs root"))
    struct DynoNetworkTests {
        /// "The internet" for a test: an HTTP server in a network namespace the test made,
        /// reached from the host through a veth pair of its own.
        final class OutsideHost: Sendable {
            static let blocks = Atomic<Int>(Int.random(in: 0..<64))
            let namespace: String
            let address: String
            let server: BackgroundProcess
            var url: String { "http://\(address):8080/" }

            init() async throws {
                // A block of its own in this process (tests run side by side), and whatever an
                // earlier run of the same pid left behind removed first.
                let block = Self.blocks.add(1, ordering: .relaxed).oldValue % 64 * 4
                namespace = "ortest-\(getpid())-\(block)"
                let link = "ortst" + String(block, radix: 16) + String(getpid() % 4096, radix: 16)
                _ = try? await ProcessRunner.run("/usr/sbin/ip", ["netns", "delete", namespace])
                _ = try? await ProcessRunner.run("/usr/sbin/ip", ["link", "delete", link])
                address = "10.215.\(Int.random(in: 0..<256)).\(block + 2)"
                let host = address.split(separator: ".").dropLast().joined(separator: ".") + ".\(block + 1)"
                for command in [
                    ["netns", "add", namespace], ["link", "add", link, "type", "veth", "peer", "name", "eth0", "netns", namespace],
                    ["addr", "add", host + "/30", "dev", link], ["link", "set", link, "up"],
                    ["-n", namespace, "addr", "add", address + "/30", "dev", "eth0"], ["-n", namespace, "link", "set", "eth0", "up"],
                    ["-n", namespace, "link", "set", "lo", "up"], ["-n", namespace, "route", "add", "default", "via", host],
                ] {
                    let result = try await ProcessRunner.run("/usr/sbin/ip", command)
                    guard result.status == 0 else { throw TestFailure("ip \(command): \(result.stderr)") }
                }
                server = try await BackgroundProcess([
                    "/usr/sbin/ip", "netns", "exec", namespace, "python3", "-m", "http.server", "8080", "--bind", address,
                    "--directory", "/usr/share/doc",
                ])
            }

            /// Waits until the server answers the host.
            func ready(_ fixture: RuntimeFixture) async throws {
                try await fixture.eventually("the outside server answers") {
                    try await ProcessRunner.run("/usr/bin/curl", ["-s", "-o", "/dev/null", "--max-time", "2", url]).status == 0
                }
            }

            func remove() async {
                server.stop()
                _ = try? await ProcessRunner.run("/usr/sbin/ip", ["netns", "delete", namespace])
            }
        }

        /// What `url` gives from inside `app`'s web dyno: an HTTP status, or nil (no connection).
        /// The dyno answers within about 6 s whatever `url` does; an answer of the router's
        /// other than the dyno's (none at all on a loaded machine) is asked again, at most
        /// three times, then fails the test with what the router said.
        static func fetch(_ fixture: RuntimeFixture, _ app: String, _ url: String) async throws -> Int? {
            let query = url.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? url
            var said = "no answer"
            for _ in 0..<3 {
                let answer = try await fixture.routed(app, "/fetch?url=" + query)
                if let answer, answer.status == 200, let json = answer.json { return json["status"] as? Int }
                said = answer.map { "\($0.status) \($0.body.prefix(300))" } ?? "no answer within 10 s"
            }
            throw TestFailure("the router did not bring \(app)'s answer for \(url): \(said)")
        }

        @Test func aDynoReachesTheOutsideButNotTheHostNorOtherDynos() async throws {
            let outside = try await OutsideHost()
            let fixture = try await RuntimeFixture.start()
            defer { Task { await fixture.daemon.stop(); await outside.remove() } }
            try await fixture.deploy("victim", TestApp.files())
            try await fixture.deploy("evil", TestApp.files())
            try await outside.ready(fixture)
            #expect(try await Self.fetch(fixture, "evil", outside.url) == 200, "the outside world is reachable")

            let victim = try #require(try await fixture.webEndpoints("victim").first)
            let own = try #require(try await fixture.webEndpoints("evil").first)
            #expect(!victim.hasPrefix("127.") && victim.split(separator: ":").first != own.split(separator: ":").first)
            #expect(try await fixture.get("victim", at: victim)?["dyno"] as? String == "web.1", "the host reaches a dyno")
            let gateway = victim.split(separator: ".").prefix(2).joined(separator: ".") + ".0.1"
            var targets = ["http://\(victim)/"]
            for (name, address) in fixture.daemon.ready where ["api", "router"].contains(name) {
                let port = address.split(separator: ":").last ?? ""
                targets += ["http://127.0.0.1:\(port)/", "http://\(gateway):\(port)/"]
            }
            let ssh = fixture.daemon.ready["ssh"]?.split(separator: ":").last ?? ""
            targets += ["http://\(gateway):\(ssh)/", "http://169.254.169.254/"]
            for address in try await Self.hostAddresses() {
                targets.append("http://\(address):\(fixture.daemon.ready["router"]?.split(separator: ":").last ?? "")/")
            }
            for target in targets {
                #expect(try await Self.fetch(fixture, "evil", target) == nil, "a dyno reached \(target)")
            }
            // The router still serves both, and no dyno listens on a host address.
            #expect(try await fixture.get("victim")?["dyno"] as? String == "web.1")
            for endpoint in [victim, own] {
                let port = endpoint.split(separator: ":").last ?? ""
                let listening = try await ProcessRunner.run("/usr/bin/ss", ["-Hltn", "sport = :\(port)"])
                #expect(listening.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(listening.stdout)")
            }
        }

        /// The host's own IPv4 addresses (other than loopback).
        static func hostAddresses() async throws -> [String] {
            let shown = try await ProcessRunner.run("/usr/sbin/ip", ["-4", "-o", "addr", "show", "scope", "global"])
            return shown.stdout.split(separator: "\n").compactMap { line in
                let words = line.split(separator: " ")
                guard let at = words.firstIndex(of: "inet"), at + 1 < words.count else { return nil }
                return words[at + 1].split(separator: "/").first.map(String.init)
            }
        }

        /// A buildpack whose compile step tries `outside` and `api` and prints
        /// `probe NAME reached` or `probe NAME failed: …` for each; its path.
        static func probeBuildpack(in directory: TemporaryDirectory, outside: String, api: String) throws -> String {
            let buildpack = directory.appending("probe-buildpack")
            try FileManager.default.createDirectory(atPath: buildpack + "/bin", withIntermediateDirectories: true)
            let probe = """
                import sys, urllib.request
                for name, url in (("outside", "\(outside)"), ("api", "\(api)")):
                    try:
                        urllib.request.urlopen(url, timeout=3)
                        print("probe %s reached" % name)
                    except Exception as e:
                        print("probe %s failed: %s" % (name, type(e).__name__))
                """
            for (name, script) in [
                ("detect", "#!/bin/sh\necho probe\n"), ("compile", "#!/bin/sh\nexec python3 -c '\(probe)'\n"),
                ("release", "#!/bin/sh\necho '--- {}'\n"),
            ] {
                try script.write(toFile: buildpack + "/bin/" + name, atomically: true, encoding: .utf8)
                chmod(buildpack + "/bin/" + name, 0o755)
            }
            return buildpack
        }

        @Test func aBuildReachesTheOutsideButNotTheHost() async throws {
            let outside = try await OutsideHost()
            let fixture = try await RuntimeFixture.start()
            defer { Task { await fixture.daemon.stop(); await outside.remove() } }
            try await outside.ready(fixture)
            let api = fixture.daemon.ready["api"] ?? ""
            let buildpack = try Self.probeBuildpack(in: fixture.directory, outside: outside.url, api: "http://\(api)/health")
            try await fixture.admin(["apps:create", "probe"])
            try await fixture.admin(["buildpacks:set", "probe", buildpack])
            let repo = try await fixture.repository(TestApp.files())
            let push = try await fixture.push(repo, app: "probe")
            #expect(push.stderr.contains("probe outside reached"), "\(push.stderr)")
            #expect(push.stderr.contains("probe api failed"), "\(push.stderr)")
        }

        @Test func anAdminMayLetDynosReachAHostService() async throws {
            let service = try await LoopbackHTTPServer.start()
            let port = service.port
            let fixture = try await RuntimeFixture.start(environment: ["OPENRUKO_DYNO_ALLOW": "127.0.0.1:\(port)"])
            defer { Task { await fixture.daemon.stop(); service.stop() } }
            try await fixture.deploy("allowed", TestApp.files())
            let endpoint = try #require(try await fixture.webEndpoints("allowed").first)
            let gateway = endpoint.split(separator: ".").prefix(2).joined(separator: ".") + ".0.1"
            #expect(try await Self.fetch(fixture, "allowed", "http://\(gateway):\(port)/") == 200)
            #expect(try await Self.fetch(fixture, "allowed", "http://\(gateway):\(fixture.daemon.ready["api"]?.split(separator: ":").last ?? "")/") == nil)
        }

        @Test func namespacesOfAKilledDaemonAreRemovedAtItsNextStart() async throws {
            let fixture = try await RuntimeFixture.start()
            defer { Task { await fixture.daemon.stop() } }
            try await fixture.deploy("crashy", TestApp.files())
            try await fixture.admin(["ps:scale", "crashy", "web=2"])
            try await fixture.eventually("two web dynos up") { try await fixture.webEndpoints("crashy").count == 2 }
            let owned = Self.leases(of: fixture.daemon.pid)
            #expect(owned.count == 2, "one namespace per dyno: \(owned)")
            await fixture.daemon.kill()
            for index in owned { #expect(FileManager.default.fileExists(atPath: "/run/netns/openruko-\(index)")) }
            let again = RunningDaemon(dataDir: fixture.dataDir, environment: fixture.daemon.environment)
            try await again.start()
            defer { Task { await again.stop() } }
            for index in owned where Self.leases(of: again.pid).contains(index) == false {
                #expect(!FileManager.default.fileExists(atPath: "/run/netns/openruko-\(index)"), "namespace \(index) was left behind")
            }
        }

        /// The indexes of the network namespaces leased by process `pid`.
        static func leases(of pid: Int32) -> [Int] {
            let directory = "/run/openruko/network"
            return ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).compactMap { name in
                guard name.hasPrefix("lease-"), let owner = try? String(contentsOfFile: directory + "/" + name, encoding: .utf8),
                    owner == String(pid)
                else { return nil }
                return Int(name.dropFirst("lease-".count))
            }
        }
    }
}
