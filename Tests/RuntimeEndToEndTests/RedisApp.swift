import Foundation
import TestSupport

/// A small web app that uses its Redis add-on (the host's python3 and Debian's python3-redis,
/// which dynos see in `/usr`): `/count` INCRs `visits` and answers the count, through
/// `$REDIS_URL` (or an explicit `?url=`); `/cmd?c=WORDS` runs one command and answers its
/// result or error; `/fill` writes 1 MiB values until the server refuses (then deletes them)
/// and answers the refusal.
enum RedisApp {
    static let server = #"""
        import json, os, http.server, socketserver, urllib.parse
        import redis
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def answer(self, payload):
                body = json.dumps(payload, sort_keys=True, default=str).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            def do_GET(self):
                url = urllib.parse.urlparse(self.path)
                query = dict(urllib.parse.parse_qsl(url.query))
                target = query.get("url") or os.environ.get("REDIS_URL")
                if url.path == "/env" or not target:
                    return self.answer({"error": "NoURL", "env": sorted(os.environ.keys())})
                try:
                    client = redis.Redis.from_url(target, socket_timeout=5, socket_connect_timeout=5)
                    if url.path == "/count":
                        return self.answer({"count": client.incr("visits")})
                    if url.path == "/cmd":
                        return self.answer({"result": client.execute_command(*query["c"].split(" "))})
                    if url.path == "/fill":
                        written, refusal = 0, None
                        try:
                            for index in range(200):
                                client.set("fill:%d" % index, b"x" * (1 << 20))
                                written += 1
                        except redis.exceptions.ResponseError as e:
                            refusal = str(e)[:400]
                        for index in range(written):
                            client.delete("fill:%d" % index)
                        return self.answer({"written": written, "error": "ResponseError", "message": refusal})
                    return self.answer({"error": "NotFound"})
                except Exception as e:
                    self.answer({"error": type(e).__name__, "message": str(e)[:400]})
            def log_message(self, *args):
                pass
        \#(AddonApp.serve)
        """#

    /// The app's files (no `.py` suffix: the Procfile buildpack takes it).
    static let files = ["counter": server, "Procfile": "web: python3 counter\n"]
}
