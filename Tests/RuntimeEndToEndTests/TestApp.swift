import Foundation
import TestSupport

/// A small web app for dynos, using the host's python3 (no buildpack dependencies; the
/// file has no `.py` suffix so the Procfile buildpack takes it): `/` answers the dyno name and
/// its environment as JSON, `/read?path=P` and `/write?path=P` try the filesystem,
/// `/fetch?url=U` the network, `/headers` answers the request's headers and `/secure`
/// redirects to https unless `X-Forwarded-Proto` says https (as Django's `SECURE_SSL_REDIRECT`).
enum TestApp {
    static let server = #"""
        import json, os, socket, sys, urllib.error, urllib.parse, urllib.request, http.server, socketserver
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def answer(self, status, payload):
                body = json.dumps(payload, sort_keys=True).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            def do_GET(self):
                url = urllib.parse.urlparse(self.path)
                query = dict(urllib.parse.parse_qsl(url.query))
                if url.path == "/read":
                    path = query["path"]
                    try:
                        if os.path.isdir(path):
                            self.answer(200, {"entries": os.listdir(path)})
                        else:
                            with open(path, "rb") as f:
                                self.answer(200, {"bytes": len(f.read())})
                    except Exception as e:
                        self.answer(403, {"error": type(e).__name__})
                elif url.path == "/fetch":  # what this dyno's network reaches
                    try:
                        with urllib.request.urlopen(query["url"], timeout=3) as answer:
                            self.answer(200, {"status": answer.status})
                    except urllib.error.HTTPError as e:
                        self.answer(200, {"status": e.code})
                    except Exception as e:
                        self.answer(200, {"error": type(e).__name__})
                elif url.path == "/headers":  # what the router sent
                    self.answer(200, {k.lower(): v for k, v in self.headers.items()})
                elif url.path == "/secure":  # as Django's SECURE_SSL_REDIRECT: trusts X-Forwarded-Proto
                    if self.headers.get("X-Forwarded-Proto") != "https":
                        self.send_response(301)
                        self.send_header("Location", "https://%s%s" % (self.headers.get("Host"), self.path))
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                    else:
                        self.answer(200, {"secure": True})
                elif url.path == "/write":
                    try:
                        with open(query["path"], "w") as f:
                            f.write("x")
                        self.answer(200, {"written": True})
                    except Exception as e:
                        self.answer(403, {"error": type(e).__name__})
                else:
                    self.answer(200, {"dyno": os.environ.get("DYNO"), "version": open("/app/VERSION").read().strip(), "env": dict(os.environ), "uid": os.getuid()})
            def log_message(self, *args):
                pass
        class Server(http.server.ThreadingHTTPServer):
            def server_bind(self):  # no getfqdn(): the boot never waits on a name lookup
                socketserver.TCPServer.server_bind(self)
                self.server_name, self.server_port = "localhost", self.server_address[1]
        def own_address():  # the dyno's address on its network (no packet is sent)
            probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                probe.connect(("10.255.255.255", 9))
                return probe.getsockname()[0]
            except OSError:
                return "127.0.0.1"
            finally:
                probe.close()
        server = Server(("0.0.0.0", int(os.environ["PORT"])), Handler)
        print("listening on %s as %s at %s" % (os.environ["PORT"], os.environ["DYNO"], own_address()), flush=True)
        server.serve_forever()
        """#

    /// The files of the app: the server, a Procfile (web plus `extra` lines) and a version.
    static func files(version: String = "1", procfile extra: String = "", more: [String: String] = [:]) -> [String: String] {
        var files = ["server": server, "VERSION": version + "\n", "Procfile": "web: python3 server\n" + extra]
        files.merge(more) { _, new in new }
        return files
    }
}

extension RuntimeFixture {
    /// `GET path` through the router, or from the web dyno listening on `endpoint`
    /// (`ADDRESS:PORT`, see `webEndpoints`); the JSON body (nil on a connection error or a
    /// status other than 200/403).
    func get(_ app: String, _ path: String = "/", at endpoint: String? = nil) async throws -> [String: Any]? {
        guard let endpoint else {
            guard let answer = try await routed(app, path), [200, 403].contains(answer.status) else { return nil }
            return answer.json
        }
        let result = try await ProcessRunner.run("/usr/bin/curl", ["-s", "--max-time", "5", "http://\(endpoint)\(path)"])
        guard result.status == 0 else { return nil }
        return try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
    }

    /// Where the app's web dynos that are up listen (`ADDRESS:PORT`: their own network's
    /// address), from their `listening on` lines.
    func webEndpoints(_ app: String) async throws -> [String] {
        let up = Set(try await dynos(app).filter { $0.name.hasPrefix("web.") && $0.state == "up" }.map(\.name))
        var latest: [String: String] = [:]
        for line in try await log(app).split(separator: "\n") {
            guard let range = line.range(of: "]: listening on ") else { continue }
            let words = line[range.upperBound...].split(separator: " ")
            if words.count == 5, let port = Int(words[0]) { latest[String(words[2])] = "\(words[4]):\(port)" }
        }
        return up.compactMap { latest[$0] }
    }
}

/// One answer through the router.
struct RoutedAnswer: Sendable {
    var status: Int
    var body: String
    var json: [String: Any]? { try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] }
}

extension RuntimeFixture {
    /// `GET path` through the daemon's router with `Host: APP.localhost` (nil when curl got no
    /// HTTP answer at all).
    func routed(_ app: String, _ path: String = "/") async throws -> RoutedAnswer? {
        // The running daemon's router (daemon.json: a restarted daemon listens elsewhere).
        let info = FileManager.default.contents(atPath: dataDir + "/daemon.json")
            .flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
        guard let router = info?["router"] as? String ?? daemon.ready["router"] else {
            throw TestFailure("the daemon announced no router")
        }
        return try await RoutedAnswer.get(router: router, app, path)
    }
}

extension RoutedAnswer {
    /// `GET path` through the router at `router` (`HOST:PORT`) with `Host: APP.localhost`, by
    /// curl (nil when it got no HTTP answer at all).
    static func get(router: String, _ app: String, _ path: String) async throws -> RoutedAnswer? {
        let result = try await ProcessRunner.run(
            "/usr/bin/curl", ["-s", "--max-time", "10", "-H", "Host: \(app).localhost", "-w", "\n%{http_code}", "http://\(router)\(path)"])
        guard result.status == 0, let newline = result.stdout.lastIndex(of: "\n"),
            let status = Int(result.stdout[result.stdout.index(after: newline)...])
        else { return nil }
        return RoutedAnswer(status: status, body: String(result.stdout[..<newline]))
    }
}
