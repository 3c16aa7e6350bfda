import Foundation
import NIOHTTP1
import OpenrukoCore
import Testing

@testable import Routing

/// The router's pure pieces: host parsing, request ids, header rewriting, log lines, turns.
@Suite struct RoutingLogicTests {
    let context = ForwardingContext(clientAddress: "10.1.2.3", proto: "http", port: 8080, via: "1.1 openruko")

    func forward(_ headers: [(String, String)], method: HTTPMethod = .GET, version: HTTPVersion = .http1_1) -> ForwardedRequest {
        let head = HTTPRequestHead(version: version, method: method, uri: "/p?q=1", headers: HTTPHeaders(headers))
        return HeaderRewriter.forward(head, context: context, requestStart: 1_700_000_000_123) { "generated-id" }
    }

    @Test func hostsAreMatchedWithoutPortCaseOrTrailingDot() {
        #expect(RequestHost.normalize("App.LocalHost:8080") == "app.localhost")
        #expect(RequestHost.normalize("  www.example.com.  ") == "www.example.com")
        #expect(RequestHost.normalize("[::1]:80") == "::1")
        #expect(RequestHost.normalize("web1.localhost") == "web1.localhost")
        #expect(RequestHost.normalize("") == nil)
        #expect(RequestHost.normalize("host:port") == nil)
        #expect(RequestHost.normalize("a b") == nil)
        let absolute = HTTPRequestHead(
            version: .http1_1, method: .GET, uri: "http://Other.Example:81/x", headers: HTTPHeaders([("host", "ignored.example")]))
        #expect(RequestHost.of(absolute) == "other.example")
        let missing = HTTPRequestHead(version: .http1_0, method: .GET, uri: "/", headers: HTTPHeaders())
        #expect(RequestHost.of(missing) == nil)
    }

    @Test func clientRequestIDsAreKeptOnlyWhenHerokuWouldKeepThem() {
        #expect(RequestID.isAcceptable("0123456789abcdefABCD"))
        #expect(RequestID.isAcceptable("a+b/c=d-e0123456789xyz"))
        #expect(!RequestID.isAcceptable("short"))
        #expect(!RequestID.isAcceptable(String(repeating: "a", count: 201)))
        #expect(!RequestID.isAcceptable("has spaces in it, too many"))
        var random = FastRandom()
        let ids = (0..<1000).map { _ in RequestID.generate(using: &random) }
        #expect(Set(ids).count == 1000)
        for id in ids.prefix(20) {
            #expect(id.wholeMatch(of: /[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/) != nil, "\(id)")
            #expect(UUID(uuidString: id) != nil)
        }
    }

    @Test func forwardedRequestsCarryHerokusHeaders() {
        let forwarded = forward([
            ("Host", "app.localhost"), ("X-Forwarded-For", "203.0.113.7"), ("X-Forwarded-Proto", "https"),
            ("X-Request-Id", "client-request-id-0123456789"), ("Via", "1.0 corp-proxy"), ("Accept", "*/*"),
        ])
        let headers = forwarded.head.headers
        #expect(forwarded.head.version == .http1_1)
        #expect(headers["x-forwarded-for"] == ["203.0.113.7, 10.1.2.3"])
        #expect(forwarded.forwardedFor == "203.0.113.7, 10.1.2.3")
        #expect(headers["x-forwarded-proto"] == ["http"])
        #expect(headers["x-forwarded-port"] == ["8080"])
        #expect(headers["x-request-id"] == ["client-request-id-0123456789"])
        #expect(forwarded.requestID == "client-request-id-0123456789")
        #expect(headers["x-request-start"] == ["1700000000123"])
        #expect(headers["via"] == ["1.0 corp-proxy, 1.1 openruko"])
        #expect(headers["host"] == ["app.localhost"])
        #expect(headers["accept"] == ["*/*"])
        #expect(!forwarded.wantsUpgrade)
    }

    @Test func aMissingOrBadRequestIDIsReplaced() {
        #expect(forward([("Host", "a")]).requestID == "generated-id")
        let bad = forward([("Host", "a"), ("X-Request-ID", "tiny")])
        #expect(bad.requestID == "generated-id")
        #expect(bad.head.headers["x-request-id"] == ["generated-id"])
        #expect(bad.head.headers["x-forwarded-for"] == ["10.1.2.3"])
    }

    @Test func hopByHopHeadersStopAtTheRouter() {
        let forwarded = forward(
            [
                ("Host", "a"), ("Connection", "keep-alive, X-Secret"), ("Keep-Alive", "timeout=5"), ("X-Secret", "s"),
                ("Proxy-Connection", "keep-alive"), ("TE", "trailers"), ("Upgrade", "h2c"), ("Content-Length", "5"),
            ], method: .POST)
        let names = Set(forwarded.head.headers.map { $0.name.lowercased() })
        #expect(names.isDisjoint(with: ["connection", "keep-alive", "x-secret", "proxy-connection", "te", "upgrade"]))
        #expect(forwarded.head.headers["content-length"] == ["5"])
        #expect(!forwarded.wantsUpgrade)
    }

    @Test func chunkedRequestsStayChunkedAndUpgradesPassThrough() {
        let chunked = forward([("Host", "a"), ("Transfer-Encoding", "chunked"), ("Content-Length", "10")], method: .POST)
        #expect(chunked.head.headers["transfer-encoding"] == ["chunked"])
        #expect(chunked.head.headers["content-length"].isEmpty)
        let upgrade = forward([("Host", "a"), ("Connection", "Upgrade"), ("Upgrade", "websocket"), ("Sec-WebSocket-Key", "k")])
        #expect(upgrade.wantsUpgrade)
        #expect(upgrade.head.headers["connection"] == ["upgrade"])
        #expect(upgrade.head.headers["upgrade"] == ["websocket"])
        #expect(upgrade.head.headers["sec-websocket-key"] == ["k"])
    }

    @Test func responsesAreFramedForTheClient() {
        func respond(
            _ status: HTTPResponseStatus, _ headers: [(String, String)], method: HTTPMethod = .GET,
            version: HTTPVersion = .http1_1, keepAlive: Bool = true
        ) -> ClientResponse {
            HeaderRewriter.respond(
                HTTPResponseHead(version: .http1_1, status: status, headers: HTTPHeaders(headers)), method: method,
                clientVersion: version, clientKeepAlive: keepAlive, via: "1.1 openruko")
        }
        let sized = respond(.ok, [("Content-Length", "3"), ("Connection", "close"), ("Via", "1.1 app")])
        #expect(sized.framing == .contentLength)
        #expect(sized.keepAlive)
        #expect(sized.head.headers["connection"].isEmpty)
        #expect(sized.head.headers["via"] == ["1.1 app, 1.1 openruko"])

        let chunked = respond(.ok, [("Transfer-Encoding", "chunked")])
        #expect(chunked.framing == .chunked)
        #expect(chunked.head.headers["transfer-encoding"] == ["chunked"])

        let oldClient = respond(.ok, [("Transfer-Encoding", "chunked")], version: .http1_0)
        #expect(oldClient.framing == .untilClose)
        #expect(!oldClient.keepAlive)
        #expect(oldClient.head.headers["transfer-encoding"].isEmpty)
        #expect(oldClient.head.headers["connection"] == ["close"])

        let oldKeepAlive = respond(.ok, [("Content-Length", "0")], version: .http1_0)
        #expect(oldKeepAlive.head.headers["connection"] == ["keep-alive"])

        let head = respond(.ok, [("Content-Length", "99"), ("Transfer-Encoding", "chunked")], method: .HEAD)
        #expect(head.framing == .none)
        #expect(head.head.headers["transfer-encoding"].isEmpty)

        let noContent = respond(.noContent, [("Content-Length", "0")])
        #expect(noContent.framing == .none)
        #expect(noContent.head.headers["content-length"].isEmpty)
        #expect(respond(.notModified, [("Content-Length", "10")]).framing == .none)

        let closing = respond(.ok, [("Content-Length", "1")], keepAlive: false)
        #expect(closing.head.headers["connection"] == ["close"])

        let switching = respond(.switchingProtocols, [("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Accept", "x")])
        #expect(switching.head.headers["upgrade"] == ["websocket"])
        #expect(switching.head.headers["connection"] == ["upgrade"])
        #expect(switching.head.headers["sec-websocket-accept"] == ["x"])
    }

    @Test func logLinesHaveHerokusShape() {
        var entry = RouterLogEntry(
            method: "GET", path: "/users?page=2", host: "app.localhost", requestID: "8601b555-6a83-4c12-8269-97c8e32cdb22",
            forwardedFor: "204.204.204.204", dyno: "web.1", connect: 1, service: 18, status: 200, bytes: 13, proto: "http")
        #expect(
            entry.message
                == #"at=info method=GET path="/users?page=2" host=app.localhost request_id=8601b555-6a83-4c12-8269-97c8e32cdb22 fwd="204.204.204.204" dyno=web.1 connect=1ms service=18ms status=200 bytes=13 protocol=http"#
        )
        entry.error = .noWebDynos
        entry.dyno = nil
        entry.connect = nil
        entry.service = nil
        entry.bytes = nil
        entry.status = 503
        #expect(
            entry.message
                == #"at=error code=H14 desc="No web processes running" method=GET path="/users?page=2" host=app.localhost request_id=8601b555-6a83-4c12-8269-97c8e32cdb22 fwd="204.204.204.204" dyno= connect= service= status=503 bytes= protocol=http"#
        )
        entry.path = "/a\"b"
        #expect(entry.message.contains(#"path="/a\"b""#))
    }

    @Test func errorsCarryHerokusCodesAndPages() {
        #expect(RoutingError.appCrashed.code == "H10")
        #expect(RoutingError.requestTimeout.code == "H12")
        #expect(RoutingError.connectionClosed.code == "H13")
        #expect(RoutingError.noWebDynos.code == "H14")
        #expect(RoutingError.noWebDynos.status == .serviceUnavailable)
        #expect(RoutingError.noSuchApp.status == .notFound)
        #expect(RoutingError.appCrashed.html.contains("Application error"))
        #expect(RoutingError.noSuchApp.html.contains("no app configured at that hostname"))
    }

    @Test func roundRobinTakesTurnsPerApp() {
        let turns = RoundRobin()
        let a = UUID()
        let b = UUID()
        #expect((0..<6).map { _ in turns.next(a, count: 3) } == [0, 1, 2, 0, 1, 2])
        #expect(turns.next(b, count: 2) == 0)
        #expect(turns.next(a, count: 1) == 0)
    }

    @Test func drainWaitsForTheLastRequestOrTheTimeout() async {
        let inFlight = InFlightRequests()
        let backend = Backend(id: UUID(), dyno: "web.1", host: "127.0.0.1", port: 1)
        await inFlight.drain(backend, timeout: .seconds(30))  // idle: returns at once
        inFlight.begin(backend.id)
        inFlight.begin(backend.id)
        #expect(inFlight.count(backend) == 2)
        let drained = Task { await inFlight.drain(backend, timeout: .seconds(30)) }
        inFlight.end(backend.id)
        #expect(inFlight.count(backend) == 1)
        inFlight.end(backend.id)
        await drained.value
        #expect(inFlight.count(backend) == 0)
        inFlight.begin(backend.id)
        await inFlight.drain(backend, timeout: .milliseconds(50))  // gives up
        #expect(inFlight.count(backend) == 1)
    }
}
