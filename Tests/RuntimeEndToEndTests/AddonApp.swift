import Foundation
import TestSupport

/// A small web app that uses its database (the host's python3 and Debian's psycopg2, which
/// dynos see in `/usr`): `/db` inserts a row into `visits` and answers the row count,
/// through `$DATABASE_URL` (or `?var=NAME`, or an explicit `?url=`), or the error it got.
enum AddonApp {
    static let server = #"""
        import json, os, http.server, socketserver, urllib.parse
        import psycopg2
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def answer(self, payload):
                body = json.dumps(payload, sort_keys=True).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            def do_GET(self):
                url = urllib.parse.urlparse(self.path)
                query = dict(urllib.parse.parse_qsl(url.query))
                if url.path != "/db":
                    return self.answer({"dyno": os.environ.get("DYNO"), "env": sorted(os.environ.keys())})
                target = query.get("url") or os.environ.get(query.get("var", "DATABASE_URL"))
                if not target:
                    return self.answer({"error": "NoURL"})
                try:
                    connection = psycopg2.connect(target, connect_timeout=5)
                    with connection, connection.cursor() as cursor:
                        cursor.execute("CREATE TABLE IF NOT EXISTS visits (id serial PRIMARY KEY, note text)")
                        cursor.execute("INSERT INTO visits (note) VALUES (%s)", (query.get("note", "hello"),))
                        cursor.execute("SELECT count(*) FROM visits")
                        count = cursor.fetchone()[0]
                        cursor.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
                        ssl = cursor.fetchone()[0]
                    connection.close()
                    self.answer({"count": count, "ssl": ssl})
                except Exception as e:
                    self.answer({"error": type(e).__name__, "message": str(e)[:400]})
            def log_message(self, *args):
                pass
        \#(AddonApp.serve)
        """#

    /// The end of each add-on test app: serve its `Handler` on `$PORT` (no reverse DNS
    /// lookup per request) and say so.
    static let serve = #"""
        class Server(http.server.ThreadingHTTPServer):
            def server_bind(self):
                socketserver.TCPServer.server_bind(self)
                self.server_name, self.server_port = "localhost", self.server_address[1]
        server = Server(("0.0.0.0", int(os.environ["PORT"])), Handler)
        print("listening on %s" % os.environ["PORT"], flush=True)
        server.serve_forever()
        """#

    /// The app's files (no `.py` suffix: the Procfile buildpack takes it).
    static let files = ["dbserver": server, "Procfile": "web: python3 dbserver\n"]
}
