/// The programs of the log drain receivers tests run on loopback.
package enum DrainReceiverScripts {
    /// An HTTP drain receiver (Python's `http.server`, HTTP/1.0: it closes after each answer)
    /// that checks each `application/logplex-1` POST and appends `http TOKEN PROC ID MSG`
    /// lines to `argv[1]`; listens on `argv[2]` and prints its port.
    package static let logplexHTTP = #"""
        import http.server, sys
        out = open(sys.argv[1], "a", buffering=1)
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                assert self.headers["Content-Type"] == "application/logplex-1", self.headers["Content-Type"]
                count = int(self.headers["Logplex-Msg-Count"])
                token = self.headers["Logplex-Drain-Token"]
                frames = 0
                while body:
                    length, rest = body.split(" ", 1)
                    n = len(rest.encode()[:int(length)].decode())
                    message, body = rest[:n], rest[n:]
                    parts = message.split(" ", 6)
                    out.write("http %s %s %s %s\n" % (token, parts[3], parts[4], parts[6]))
                    frames += 1
                assert frames == count, (frames, count)
                self.send_response(204)
                self.end_headers()
            def log_message(self, *args):
                pass
        server = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[2])), Handler)
        print(server.server_address[1], flush=True)
        server.serve_forever()
        """#
}
