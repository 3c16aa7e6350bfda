import Foundation
import TestSupport
import Testing

/// The Platform API of a real daemon against hostile clients (issue 21): oversized bodies,
/// password guessing, and more connections than it serves. The clients are small Python
/// programs; the "attacker" connects from 127.0.0.2, the legitimate client from 127.0.0.1 (on
/// Linux every 127/8 address is the loopback interface).
@Suite(.timeLimit(.minutes(15))) struct APIHostileClientTests {
    let directory = TemporaryDirectory("openruko-api-hostile")
    var data: String { directory.appending("data") }

    /// Runs a Python program with `arguments` and decodes the JSON object it prints.
    func python(_ program: String, _ arguments: [String]) async throws -> [String: Any] {
        let result = try await ProcessRunner.run("/usr/bin/python3", ["-c", program] + arguments)
        try #require(result.status == 0, "\(result.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
        return try #require(object as? [String: Any], "\(result.stdout)")
    }

    /// The `id` of a JSON error body.
    func errorID(_ body: Any?) -> String? {
        guard let text = body as? String, let data = text.data(using: .utf8),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return nil }
        return object["id"] as? String
    }

    @Test func oversizedJSONBodiesAre413WithHerokusErrorJSON() async throws {
        try await OpenrukoBinary.checkedAdmin(["users:create", "dev@example.com"], dataDir: data)
        let token = try await OpenrukoBinary.checkedAdmin(["tokens:create", "--user", "dev@example.com"], dataDir: data)
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try await TestSupport.DaemonProcess.with(dataDir: data) { daemon in
            let answers = try await python(Self.bodies, [String(daemon.apiPort), token])
            for name in ["declared", "chunked"] {
                let answer = try #require(answers[name] as? [String: Any], "\(name)")
                #expect(answer["status"] as? Int == 413, "\(name): \(answer)")
                #expect(answer["type"] as? String == "application/json", "\(name): \(answer)")
                #expect(errorID(answer["body"]) == "request_too_large", "\(name): \(answer)")
                #expect((answer["body"] as? String)?.contains("\"message\"") == true, "\(name): \(answer)")
            }
            let limit = try #require(answers["atLimit"] as? [String: Any])
            #expect(limit["status"] as? Int == 422, "a body of exactly 1 MiB is read (the name is invalid): \(limit)")
            #expect(answers["health"] as? Int == 200)
        }
    }

    @Test func passwordGuessingIsThrottledPerAccountAndSourceWhileOthersLogIn() async throws {
        for (email, password) in [("victim@example.com", "correct horse battery"), ("other@example.com", "other horse battery")] {
            try await OpenrukoBinary.checkedAdmin(["users:create", email], dataDir: data)
            try await OpenrukoBinary.checkedAdmin(["users:passwd", email], dataDir: data, input: password + "\n")
        }
        try await TestSupport.DaemonProcess.with(dataDir: data) { daemon in
            let answers = try await python(Self.logins, [String(daemon.apiPort)])
            let guesses = try #require(answers["guesses"] as? [[String: Any]])
            #expect(guesses.filter { $0["status"] as? Int == 401 }.count == 5, "\(guesses)")
            let throttled = guesses.filter { $0["status"] as? Int == 429 }
            #expect(throttled.count == 2, "\(guesses)")
            for answer in throttled {
                #expect(errorID(answer["body"]) == "rate_limit", "\(answer)")
                let retryAfter = Int(answer["retryAfter"] as? String ?? "") ?? 0
                #expect((1...60).contains(retryAfter), "\(answer)")
            }
            let fromAttacker = try #require(answers["victimFromAttacker"] as? [String: Any])
            #expect(fromAttacker["status"] as? Int == 429, "no password is checked for a throttled source: \(fromAttacker)")
            let victim = try #require(answers["victimFromElsewhere"] as? [String: Any])
            #expect(victim["status"] as? Int == 429, "nor for a throttled account: \(victim)")
            let other = try #require(answers["otherFromElsewhere"] as? [String: Any])
            #expect(other["status"] as? Int == 201, "another account logs in: \(other)")
            #expect((other["body"] as? String)?.contains("\"access_token\"") == true, "\(other)")
            #expect(answers["health"] as? Int == 200)
        }
    }

    @Test func connectionsBeyondTheCapAre503AndOtherSourcesStillServed() async throws {
        // At 512 descriptors the API serves 128 connections, 64 per source address.
        try await TestSupport.DaemonProcess.with(
            executable: "/usr/bin/prlimit", subcommand: ["--nofile=512:512", OpenrukoBinary.path, "daemon"], dataDir: data
        ) { daemon in
            let answers = try await python(Self.crowd, [String(daemon.apiPort), "70"])
            #expect(answers["served"] as? Int == 64, "\(answers)")
            #expect(answers["refused"] as? Int == 6, "\(answers)")
            #expect(errorID(answers["refusal"]) == "unavailable", "\(answers)")
            #expect(answers["refusalRetryAfter"] as? String == "5", "\(answers)")
            #expect(answers["healthFromElsewhere"] as? Int == 200, "another source is served meanwhile: \(answers)")
            #expect(daemon.log.components(separatedBy: "API: refusing connections from 127.0.0.2").count - 1 == 1, "\(daemon.log)")
        }
    }

    /// argv: port, token. A 2 MiB body with Content-Length, the same chunked, exactly 1 MiB, then /health.
    static let bodies = """
        import http.client, json, sys
        port, token = int(sys.argv[1]), sys.argv[2]
        headers = {"Authorization": "Bearer " + token, "Accept": "application/vnd.heroku+json; version=3", "Content-Type": "application/json"}
        def post(body, chunked=False):
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            if chunked:
                c.request("POST", "/apps", body=iter([body[i:i + 65536] for i in range(0, len(body), 65536)]), headers=headers, encode_chunked=True)
            else:
                c.request("POST", "/apps", body=body, headers=headers)
            r = c.getresponse(); text = r.read().decode(); c.close()
            return {"status": r.status, "type": r.getheader("Content-Type"), "body": text[:300]}
        def name(size): return b'{"name":"' + b"a" * (size - 11) + b'"}'
        out = {"declared": post(name(2 << 20)), "chunked": post(name(2 << 20), chunked=True), "atLimit": post(name(1 << 20))}
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30); c.request("GET", "/health"); out["health"] = c.getresponse().status
        print(json.dumps(out))
        """

    /// argv: port. Seven wrong passwords for victim at once from 127.0.0.2, then the right one
    /// from there and from 127.0.0.3, another account from 127.0.0.1, and /health.
    static let logins = """
        import base64, http.client, json, sys, threading
        port = int(sys.argv[1])
        def login(email, password, source):
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=120, source_address=(source, 0))
            auth = base64.b64encode(f"{email}:{password}".encode()).decode()
            c.request("POST", "/oauth/authorizations", body="{}", headers={"Authorization": "Basic " + auth,
                "Accept": "application/vnd.heroku+json; version=3", "Content-Type": "application/json"})
            r = c.getresponse(); text = r.read().decode(); c.close()
            return {"status": r.status, "retryAfter": r.getheader("Retry-After"), "body": text}
        guesses = [None] * 7
        def guess(i): guesses[i] = login("victim@example.com", f"wrong guess {i}", "127.0.0.2")
        threads = [threading.Thread(target=guess, args=(i,)) for i in range(7)]
        for t in threads: t.start()
        for t in threads: t.join()
        out = {"guesses": guesses,
               "victimFromAttacker": login("victim@example.com", "correct horse battery", "127.0.0.2"),
               "otherFromElsewhere": login("other@example.com", "other horse battery", "127.0.0.1"),
               "victimFromElsewhere": login("victim@example.com", "correct horse battery", "127.0.0.3")}
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30); c.request("GET", "/health"); out["health"] = c.getresponse().status
        print(json.dumps(out))
        """

    /// argv: port, count. `count` connections from 127.0.0.2 held open, then a /health request on
    /// each (the refused ones were answered already), and /health from 127.0.0.1 meanwhile.
    static let crowd = """
        import http.client, json, socket, sys
        port, count = int(sys.argv[1]), int(sys.argv[2])
        held = []
        for _ in range(count):
            s = socket.socket(); s.bind(("127.0.0.2", 0)); s.settimeout(30); s.connect(("127.0.0.1", port)); held.append(s)
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30); c.request("GET", "/health")
        out = {"healthFromElsewhere": c.getresponse().status, "served": 0, "refused": 0}
        for s in held:
            try: s.sendall(b"GET /health HTTP/1.1\\r\\nHost: api\\r\\nConnection: close\\r\\n\\r\\n")
            except OSError: pass
            data = b""
            try:
                while chunk := s.recv(65536): data += chunk
            except OSError: pass
            head, _, body = data.partition(b"\\r\\n\\r\\n")
            if head.startswith(b"HTTP/1.1 200"): out["served"] += 1
            elif head.startswith(b"HTTP/1.1 503"):
                out["refused"] += 1; out["refusal"] = body.decode()
                out["refusalRetryAfter"] = next((l.split(b":", 1)[1].strip().decode() for l in head.split(b"\\r\\n") if l.lower().startswith(b"retry-after:")), None)
            s.close()
        print(json.dumps(out))
        """
}
