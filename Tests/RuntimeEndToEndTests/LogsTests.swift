import Foundation
import Testing
import TestSupport

extension RuntimeEndToEnd {
    /// The log store in the real daemon: every source of an app's log in one stream, kept
    /// across a redeploy and a daemon restart, read by `openruko admin logs` and by a real
    /// `ssh … logs -t`.
    @Suite(.timeLimit(.minutes(15))) struct LogsTests {
        static let worker = "worker: python3 -u -c 'import time; print(\"worker started\"); time.sleep(600)'\n"

        @Test func everySourceIsInOneStreamThatSurvivesARedeployAndADaemonRestart() async throws {
            let fixture = try await RuntimeFixture.start()
            defer { Task { await fixture.daemon.stop() } }
            try await fixture.admin(["apps:create", "logapp"])
            try await fixture.admin(["config:set", "logapp", "FOO=bar"])
            let repo = try await fixture.repository(TestApp.files(procfile: "release: echo migrating database\n" + Self.worker))
            let push = try await fixture.push(repo, app: "logapp")
            #expect(push.status == 0, "\(push.stderr)")
            try await fixture.admin(["ps:scale", "logapp", "worker=1"])
            try await fixture.eventually("the worker's line") { try await fixture.log("logapp").contains("app[worker.1]: worker started") }
            #expect(try await fixture.routed("logapp")?.status == 200)
            try await fixture.eventually("the router's line") { try await fixture.log("logapp").contains("heroku[router]: at=info") }

            let first = try await fixture.log("logapp")
            let expected = [
                "app[api]: Set FOO config vars by user dev@example.com",
                "app[release.3]: migrating database",
                "heroku[web.1]: State changed from starting to up",
                "app[api]: Release v3 created by user dev@example.com",
                "app[api]: Scaled to ",
                "app[worker.1]: worker started",
                "heroku[router]: at=info method=GET path=\"/\"",
            ]
            try Self.expectInOrder(expected, in: first)
            #expect(first.contains("app[web.1]: listening on "))
            // Every line has Heroku's shape.
            for line in first.split(separator: "\n") {
                #expect(line.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00 (app|heroku)\[[a-z0-9.]+\]: .*/) != nil, "\(line)")
            }

            // A redeploy keeps the earlier lines.
            try await fixture.change(repo, TestApp.files(version: "2", procfile: "release: echo migrating again\n" + Self.worker))
            #expect(try await fixture.push(repo, app: "logapp").status == 0)
            let second = try await fixture.log("logapp")
            try Self.expectInOrder(expected + ["app[release.4]: migrating again", "app[api]: Release v4 created by user dev@example.com"], in: second)

            // A restarted daemon still has them, and adds to them.
            let workerStarts = { (log: String) in log.components(separatedBy: "app[worker.1]: worker started").count - 1 }
            let before = workerStarts(second)
            await fixture.daemon.stop()
            let restarted = RunningDaemon(dataDir: fixture.dataDir, environment: fixture.daemon.environment)
            try await restarted.start()
            defer { Task { await restarted.stop() } }
            try await fixture.eventually("the restarted worker's line") {
                workerStarts(try await fixture.log("logapp")) > before
            }
            let third = try await fixture.log("logapp")
            try Self.expectInOrder(expected + ["app[release.4]: migrating again", "app[worker.1]: worker started"], in: third)
            #expect(third.hasPrefix(second.split(separator: "\n").first.map(String.init) ?? "-"))

            // Filters.
            let web = try await fixture.admin(["logs", "logapp", "--dyno", "web", "--source", "app"]).stdout
            #expect(!web.isEmpty && web.split(separator: "\n").allSatisfy { $0.contains(" app[web.") })
            let lastTwo = try await fixture.admin(["logs", "logapp", "-n", "2"]).stdout
            let lastLines: [Substring] = lastTwo.split(separator: "\n")
            #expect(lastLines.count == 2)
            let heroku = try await fixture.admin(["logs", "logapp", "--source", "heroku"]).stdout
            #expect(heroku.split(separator: "\n").allSatisfy { $0.contains(" heroku[") })
            let bad = try await fixture.admin(["logs", "logapp", "--source", "nope"], allowFailure: true)
            #expect(bad.status == 1 && bad.stderr.contains("--source must be 'app' or 'heroku'"))

            // The Platform API reads the same store (log sessions) and keeps build output.
            let api = try #require(restarted.ready["api"])
            let token = try await fixture.admin(["tokens:create"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let session = try await Self.curl(api, "/apps/logapp/log-sessions", token: token, body: #"{"lines": 1500, "source": "app"}"#)
            let stream = try #require(session["logplex_url"] as? String)
            let streamed = try await ProcessRunner.run("/usr/bin/curl", ["-s", "--max-time", "20", stream]).stdout
            #expect(streamed.contains("app[api]: Set FOO config vars by user dev@example.com"))
            #expect(streamed.contains("app[release.4]: migrating again") && !streamed.contains(" heroku["))
            let refused = try await Self.curl(api, "/apps/logapp/log-drains", token: token, body: #"{"url": "gopher://x"}"#)
            #expect(refused["id"] as? String == "invalid_params", "\(refused)")
            let builds = try await ProcessRunner.run(
                "/usr/bin/curl", ["-s", "-H", "Authorization: Bearer \(token)", "-H", "Accept: application/vnd.heroku+json; version=3", "http://\(api)/apps/logapp/builds"])
            let list = try JSONSerialization.jsonObject(with: Data(builds.stdout.utf8)) as? [[String: Any]] ?? []
            let output = try #require(list.last?["output_stream_url"] as? String)
            let text = try await ProcessRunner.run("/usr/bin/curl", ["-s", "--max-time", "20", output]).stdout
            #expect(text.contains("Procfile"), "\(text)")
            let cli = try await fixture.admin(["builds:output", "logapp"]).stdout
            #expect(cli == text)
        }

        /// A JSON POST to the API.
        static func curl(_ api: String, _ path: String, token: String, body: String) async throws -> [String: Any] {
            let result = try await ProcessRunner.run(
                "/usr/bin/curl",
                [
                    "-s", "-X", "POST", "-H", "Authorization: Bearer \(token)", "-H", "Accept: application/vnd.heroku+json; version=3",
                    "-H", "Content-Type: application/json", "-d", body, "http://\(api)\(path)",
                ])
            return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] ?? [:]
        }

        @Test func sshLogsTailSeesNewLinesUntilTheClientGoes() async throws {
            let fixture = try await RuntimeFixture.start()
            defer { Task { await fixture.daemon.stop() } }
            let key = try await TestKey.generate("ed25519", in: fixture.directory.path)
            try await fixture.admin(["keys:add", "--user", "dev@example.com"], input: key.publicKey)
            try await fixture.deploy("tailapp", TestApp.files())
            let port = try #require(fixture.daemon.ready["ssh"].flatMap { $0.split(separator: ":").last }.flatMap { Int($0) })
            let ssh = SSHClient(port: port, key: key)

            let once = try await ssh.run("logs tailapp -n 5 --dyno web.1")
            #expect(once.status == 0, "\(once.stderr)")
            let lines = once.stdout.split(separator: "\n")
            #expect((1...5).contains(lines.count) && lines.allSatisfy { $0.contains("[web.1]: ") }, "\(once.stdout)")
            let refused = try await ssh.run("logs nosuchapp")
            #expect(refused.status == 1 && refused.stderr.contains(" !     "))

            let output = fixture.directory.appending("tail.out")
            let tail = try await BackgroundProcess(["/usr/bin/ssh"] + ssh.options + ["git@127.0.0.1", "logs tailapp -t -n 1 --source heroku"], log: output)
            defer { tail.stop() }
            try await fixture.eventually("the tail's history") { Self.read(output).contains(" heroku[") }
            for index in 1...3 {
                #expect(try await fixture.routed("tailapp", "/?n=\(index)")?.status == 200)
                try await fixture.eventually("the tail's router line \(index)") { Self.read(output).contains("path=\"/?n=\(index)\"") }
            }
            // The tail asked for heroku lines only.
            #expect(!Self.read(output).contains(" app["))
            tail.stop()
            try await fixture.admin(["config:set", "tailapp", "AFTER=1"])
            #expect(try await fixture.log("tailapp").contains("Set AFTER config vars"))
        }

        static func read(_ path: String) -> String {
            String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self)
        }

        /// Each fragment appears on a line after the previous fragment's line.
        static func expectInOrder(_ fragments: [String], in log: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let lines = log.split(separator: "\n")
            var index = 0
            for fragment in fragments {
                guard let found = lines[index...].firstIndex(where: { $0.contains(fragment) }) else {
                    Issue.record("\(fragment.debugDescription) is missing after line \(index) of:\n\(log)", sourceLocation: sourceLocation)
                    return
                }
                index = found + 1
            }
        }
    }
}

extension RuntimeEndToEnd {
    /// Drains added with `drains:add` on a real daemon, delivering to real receivers.
    @Suite(.timeLimit(.minutes(15))) struct DrainEndToEndTests {
        static let burst = "burst: python3 -u -c 'import time; [print(\"burst\", i) for i in range(1, 2001)]; time.sleep(600)'\n"

        @Test func syslogAndHTTPDrainsGetEveryLineAndADownDrainCatchesUp() async throws {
            let fixture = try await RuntimeFixture.start()
            defer { Task { await fixture.daemon.stop() } }
            let syslog = try await DrainReceiver("syslog", in: fixture.directory)
            defer { syslog.stop() }
            let http = try await DrainReceiver("http", in: fixture.directory)
            defer { http.stop() }
            try await fixture.deploy("drainapp", TestApp.files(procfile: Self.burst))
            try await fixture.admin(["drains:add", "drainapp", "syslog://127.0.0.1:\(syslog.port)"])
            try await fixture.admin(["drains:add", "drainapp", "http://user:secret@127.0.0.1:\(http.port)/logs"])
            let listed = try await fixture.admin(["drains", "drainapp", "--json"]).stdout
            let drains = try JSONSerialization.jsonObject(with: Data(listed.utf8)) as? [[String: Any]] ?? []
            #expect(drains.count == 2)
            let tokens = Set(drains.compactMap { $0["token"] as? String })

            try await fixture.admin(["ps:scale", "drainapp", "burst=1"])
            for receiver in [syslog, http] {
                try await fixture.eventually("the burst at \(receiver.output)") { Self.burstLines(receiver).count >= 2000 }
                #expect(Self.burstLines(receiver) == (1...2000).map { "burst \($0)" }, "\(Self.breaks(receiver))")
                #expect(receiver.received.allSatisfy { tokens.contains(String($0.split(separator: " ")[1])) })
            }
            #expect(syslog.received.contains { $0.contains(" app api Scaled to burst@1:") })
            #expect(http.received.contains { $0.contains(" heroku burst.1 State changed from starting to up") })

            // The syslog endpoint goes away; the lines of a second burst wait for it.
            syslog.stop()
            try await fixture.admin(["ps:scale", "drainapp", "burst=0"])
            try await fixture.admin(["ps:scale", "drainapp", "burst=1"])
            do {
                try await fixture.eventually("the second burst over HTTP") { Self.burstLines(http).count >= 4000 }
            } catch {
                let log = try await fixture.log("drainapp").split(separator: "\n").suffix(20).joined(separator: "\n")
                Issue.record("HTTP has \(Self.burstLines(http).count) burst lines; its receiver said \(http.diagnostics); the log ends with\n\(log)")
                throw error
            }
            #expect(Self.burstLines(http).suffix(2000) == (1...2000).map { "burst \($0)" })
            let back = try await DrainReceiver("syslog", in: fixture.directory, port: syslog.port)
            defer { back.stop() }
            try await fixture.eventually("the second burst at the syslog endpoint once it is back") { Self.burstLines(back).count >= 2000 }
            #expect(Self.burstLines(back).suffix(2000) == (1...2000).map { "burst \($0)" })

            try await fixture.admin(["drains:remove", "drainapp", "syslog://127.0.0.1:\(syslog.port)"])
            let after = try await fixture.admin(["drains", "drainapp"]).stdout
            #expect(!after.contains("syslog://") && after.contains("http://"))
        }

        @Test func badDrainsAreRefusedClearly() async throws {
            let fixture = try await RuntimeFixture.start()
            defer { Task { await fixture.daemon.stop() } }
            try await fixture.admin(["apps:create", "mine"])
            let scheme = try await fixture.admin(["drains:add", "mine", "ftp://logs.example.com/x"], allowFailure: true)
            #expect(scheme.status == 1 && scheme.stderr.contains("has the scheme \"ftp\", which openruko cannot drain to"), "\(scheme.stderr)")
            let host = try await fixture.admin(["drains:add", "mine", "syslog://no-such-host.invalid:514"], allowFailure: true)
            #expect(host.status == 1 && host.stderr.contains("cannot be resolved"), "\(host.stderr)")
            let path = try await fixture.admin(["drains:add", "mine", "syslog://127.0.0.1:514/path"], allowFailure: true)
            #expect(path.status == 1 && path.stderr.contains("has a path"), "\(path.stderr)")
            try await fixture.admin(["drains:add", "mine", "syslog://127.0.0.1:514"])
            let twice = try await fixture.admin(["drains:add", "mine", "syslog://127.0.0.1:514"], allowFailure: true)
            #expect(twice.status == 1)

            // Someone without access to the app.
            try await fixture.admin(["users:create", "other@example.com"])
            let key = try await TestKey.generate("ed25519", in: fixture.directory.path)
            try await fixture.admin(["keys:add", "--user", "other@example.com"], input: key.publicKey)
            let port = try #require(fixture.daemon.ready["ssh"].flatMap { $0.split(separator: ":").last }.flatMap { Int($0) })
            let other = SSHClient(port: port, key: key)
            for command in ["drains:add mine syslog://127.0.0.1:515", "drains mine", "logs mine", "drains:remove mine syslog://127.0.0.1:514"] {
                let refused = try await other.run(command)
                #expect(refused.status == 1 && refused.stderr.contains(" !     "), "\(command): \(refused.stderr)")
            }
            #expect(try await fixture.admin(["drains", "mine"]).stdout.contains("syslog://127.0.0.1:514"))
        }

        /// Where the received bursts do not go up by one (for a failure's message).
        static func breaks(_ receiver: DrainReceiver) -> String {
            let numbers = burstLines(receiver).compactMap { Int($0.dropFirst(6)) }
            var breaks: [String] = []
            for index in numbers.indices.dropFirst() where numbers[index] != numbers[index - 1] + 1 {
                breaks.append("\(index): \(numbers[index - 1]) -> \(numbers[index])")
            }
            return "\(receiver.output): \(numbers.count) lines, breaks \(breaks.prefix(10))"
        }

        static func burstLines(_ receiver: DrainReceiver) -> [String] {
            receiver.received.compactMap { line in
                guard let range = line.range(of: " app burst.1 burst ") else { return nil }
                return "burst " + line[range.upperBound...]
            }
        }
    }
}

extension RuntimeEndToEnd {
    /// A dyno that floods its output with a tail that never reads, and apps with their own log size.
    @Suite(.timeLimit(.minutes(15))) struct LogPressureTests {
        static let flood = "flood: python3 -c 'import time; [print(\"line\", i) for i in range(1, 100001)]; print(\"flood done\", flush=True); time.sleep(600)'\n"

        @Test func aFloodingDynoLosesNothingToAStalledTailAndAnAppKeepsItsOwnSize() async throws {
            let fixture = try await RuntimeFixture.start()
            defer { Task { await fixture.daemon.stop() } }
            let key = try await TestKey.generate("ed25519", in: fixture.directory.path)
            try await fixture.admin(["keys:add", "--user", "dev@example.com"], input: key.publicKey)
            try await fixture.deploy("floodapp", TestApp.files(procfile: Self.flood))
            try await fixture.admin(["apps:create", "smallapp"])
            try await fixture.admin(["config:set", "smallapp", "OPENRUKO_LOG_SIZE=64K"])
            let repo = try await fixture.repository(TestApp.files(procfile: Self.flood))
            #expect(try await fixture.push(repo, app: "smallapp").status == 0)

            // A tail that stops reading (its ssh client is stopped) while the dyno floods.
            let port = try #require(fixture.daemon.ready["ssh"].flatMap { $0.split(separator: ":").last }.flatMap { Int($0) })
            let ssh = SSHClient(port: port, key: key)
            let output = fixture.directory.appending("stalled.out")
            let stalled = try await BackgroundProcess(["/usr/bin/ssh"] + ssh.options + ["git@127.0.0.1", "logs floodapp -t"], log: output)
            defer { stalled.stop() }
            try await fixture.eventually("the tail's first lines") { LogsTests.read(output).contains("app[api]") }
            kill(stalled.pid, SIGSTOP)
            try await fixture.admin(["ps:scale", "floodapp", "flood=1"])
            try await fixture.admin(["ps:scale", "smallapp", "flood=1"])
            for app in ["floodapp", "smallapp"] {
                try await fixture.eventually("\(app)'s flood to end") {
                    try await fixture.admin(["logs", app, "--dyno", "flood", "-n", "1"]).stdout.contains("app[flood.1]: flood done")
                }
            }
            // Every line of the flood is on disk, in order, and nothing was dropped.
            let flooded = try await Self.stored(fixture, "floodapp")
            let lines = flooded.filter { $0.contains(" app[flood.1]: line ") }
            #expect(lines.count == 100_000)
            #expect(lines.last?.hasSuffix(" line 100000") == true)
            #expect(!flooded.contains { $0.contains("Error L10") })
            #expect(stalled.isRunning)
            kill(stalled.pid, SIGCONT)

            // The small app keeps about 64K: the newest lines, the oldest dropped.
            let directory = try await Self.logDirectory(fixture, "smallapp")
            let bytes = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".log") }.reduce(0) {
                $0 + ((try FileManager.default.attributesOfItem(atPath: directory + "/" + $1)[.size] as? Int) ?? 0)
            }
            #expect(bytes <= (64 << 10) + 8192, "\(bytes) bytes")
            let small = try await Self.stored(fixture, "smallapp")
            #expect(small.last { $0.contains("app[flood.1]: line ") }?.hasSuffix(" line 100000") == true)
            #expect(!small.contains { $0.contains("app[api]: Release v1 created") })
        }

        /// The app's log directory (`DATA_DIR/logs/apps/ID`).
        static func logDirectory(_ fixture: RuntimeFixture, _ app: String) async throws -> String {
            let info = try await fixture.admin(["apps:info", app, "--json"]).stdout
            let json = try JSONSerialization.jsonObject(with: Data(info.utf8)) as? [String: Any]
            let id = try #require((json?["id"] as? String) ?? ((json?["app"] as? [String: Any])?["id"] as? String))
            return fixture.dataDir + "/logs/apps/" + id.lowercased()
        }

        /// Every line of the app's files, oldest first.
        static func stored(_ fixture: RuntimeFixture, _ app: String) async throws -> [String] {
            let directory = try await logDirectory(fixture, app)
            let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".log") }.sorted()
            return files.flatMap { file in
                String(decoding: FileManager.default.contents(atPath: directory + "/" + file) ?? Data(), as: UTF8.self)
                    .split(separator: "\n").map(String.init)
            }
        }
    }
}
