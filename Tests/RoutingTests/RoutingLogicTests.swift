import Foundation
import NIOCore
import OpenrukoCore
import Testing

@testable import Routing

/// The router's pure pieces: host parsing, request ids, log lines, errors, turns, drains.
@Suite(.timeLimit(.minutes(15))) struct RoutingLogicTests {
    @Test func hostsAreMatchedWithoutPortCaseOrTrailingDot() throws {
        #expect(RequestHost.normalize("App.LocalHost:8080") == "app.localhost")
        #expect(RequestHost.normalize("  www.example.com.  ") == "www.example.com")
        #expect(RequestHost.normalize("[::1]:80") == "::1")
        #expect(RequestHost.normalize("web1.localhost") == "web1.localhost")
        #expect(RequestHost.normalize("") == nil)
        #expect(RequestHost.normalize("host:port") == nil)
        #expect(RequestHost.normalize("a b") == nil)
        #expect(RequestHost.normalize("quote\".example") == nil)
        let (absolute, bytes) = try HeadParserTests.request("GET http://Other.Example:81/x HTTP/1.1\r\nHost: ignored.example\r\n\r\n")
        #expect(RequestHost.of(absolute, in: bytes) == "other.example")
        let (missing, missingBytes) = try HeadParserTests.request("GET / HTTP/1.0\r\n\r\n")
        #expect(RequestHost.of(missing, in: missingBytes) == nil)
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
        #expect(RoutingError.noWebDynos.status == 503)
        #expect(RoutingError.noSuchApp.status == 404)
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
