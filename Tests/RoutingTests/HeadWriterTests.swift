import Foundation
import NIOCore
import Testing

@testable import Routing

/// Forwarded heads: what the dyno and the client receive.
@Suite(.timeLimit(.minutes(15))) struct HeadWriterTests {
    let context = ForwardingContext(clientAddress: "10.1.2.3", proto: "http", port: 8080, via: "1.1 openruko")

    func forward(_ text: String) throws -> (head: ParsedHead, bytes: ByteBuffer, id: String, fwd: String) {
        let (head, bytes) = try HeadParserTests.request(text)
        var out = ByteBuffer()
        let (id, fwd) = HeadWriter.writeRequest(
            head, from: bytes, context: context, requestStart: 1_700_000_000_123, makeRequestID: { "generated-id" }, into: &out)
        let (forwarded, forwardedBytes) = try HeadParserTests.request(String(buffer: out))
        return (forwarded, forwardedBytes, id, fwd)
    }

    func values(_ result: (head: ParsedHead, bytes: ByteBuffer, id: String, fwd: String)) -> [String: String] {
        var values: [String: String] = [:]
        for field in result.head.fields {
            let name = HeadWriter.string(result.bytes, field.name).lowercased()
            let value = HeadWriter.string(result.bytes, field.value)
            values[name] = values[name].map { $0 + "|" + value } ?? value
        }
        return values
    }

    @Test func forwardedRequestsCarryHerokusHeaders() throws {
        let result = try forward(
            "GET /p?q=1 HTTP/1.1\r\nHost: app.localhost\r\nX-Forwarded-For: 203.0.113.7\r\nX-Forwarded-Proto: https\r\n"
                + "X-Request-Id: client-request-id-0123456789\r\nVia: 1.0 corp-proxy\r\nAccept: */*\r\n\r\n")
        let headers = values(result)
        #expect(HeadWriter.string(result.bytes, result.head.target) == "/p?q=1")
        #expect(result.head.minorVersion == 1)
        #expect(headers["x-forwarded-for"] == "203.0.113.7, 10.1.2.3")
        #expect(result.fwd == "203.0.113.7, 10.1.2.3")
        #expect(headers["x-forwarded-proto"] == "http")
        #expect(headers["x-forwarded-port"] == "8080")
        #expect(headers["x-request-id"] == "client-request-id-0123456789")
        #expect(result.id == "client-request-id-0123456789")
        #expect(headers["x-request-start"] == "1700000000123")
        #expect(headers["via"] == "1.0 corp-proxy, 1.1 openruko")
        #expect(headers["host"] == "app.localhost")
        #expect(headers["accept"] == "*/*")
    }

    @Test func aMissingOrBadRequestIDIsReplaced() throws {
        #expect(try forward("GET / HTTP/1.1\r\nHost: a\r\n\r\n").id == "generated-id")
        let bad = try forward("GET / HTTP/1.1\r\nHost: a\r\nX-Request-ID: tiny\r\n\r\n")
        #expect(bad.id == "generated-id")
        #expect(values(bad)["x-request-id"] == "generated-id")
        #expect(values(bad)["x-forwarded-for"] == "10.1.2.3")
    }

    @Test func hopByHopHeadersStopAtTheRouter() throws {
        let result = try forward(
            "POST / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, X-Secret\r\nKeep-Alive: timeout=5\r\nX-Secret: s\r\n"
                + "Proxy-Connection: keep-alive\r\nTE: trailers\r\nUpgrade: h2c\r\nContent-Length: 5\r\n\r\n")
        let names = Set(values(result).keys)
        #expect(names.isDisjoint(with: ["connection", "keep-alive", "x-secret", "proxy-connection", "te", "upgrade"]))
        #expect(values(result)["content-length"] == "5")
        #expect(!result.head.wantsUpgrade)
    }

    @Test func chunkedRequestsStayChunkedAndUpgradesPassThrough() throws {
        let chunked = try forward("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n")
        #expect(HeadParser.requestBody(chunked.head) == .chunked)
        let upgrade = try forward(
            "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: k\r\n\r\n")
        #expect(upgrade.head.wantsUpgrade)
        #expect(values(upgrade)["connection"] == "upgrade")
        #expect(values(upgrade)["upgrade"] == "websocket")
        #expect(values(upgrade)["sec-websocket-key"] == "k")
        let old = try forward("GET / HTTP/1.0\r\nHost: a\r\n\r\n")
        #expect(old.head.minorVersion == 0)
    }

    func respond(_ text: String, keepAlive: Bool = true, clientMinor: Int = 1) throws -> (ParsedHead, ByteBuffer, String) {
        let (head, bytes) = try HeadParserTests.response(text)
        var out = ByteBuffer()
        HeadWriter.writeResponse(head, from: bytes, keepAlive: keepAlive, clientMinorVersion: clientMinor, via: "1.1 openruko", into: &out)
        let written = String(buffer: out)
        let (parsed, parsedBytes) = try HeadParserTests.response(written)
        return (parsed, parsedBytes, written)
    }

    @Test func responsesKeepTheirFramingAndGetTheRoutersConnectionDecision() throws {
        let (sized, _, text) = try respond("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\nVia: 1.1 app\r\n\r\n")
        #expect(text == "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nVia: 1.1 app, 1.1 openruko\r\n\r\n")
        #expect(sized.keepAlive)
        let (_, _, chunked) = try respond("HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\nKeep-Alive: timeout=5\r\n\r\n")
        #expect(chunked == "HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\nVia: 1.1 openruko\r\n\r\n")
        let (_, _, closing) = try respond("HTTP/1.0 200 OK\r\n\r\n", keepAlive: false)
        #expect(closing == "HTTP/1.1 200 OK\r\nVia: 1.1 openruko\r\nConnection: close\r\n\r\n")
        let (_, _, oldClient) = try respond("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", clientMinor: 0)
        #expect(oldClient.hasSuffix("Connection: keep-alive\r\n\r\n"))
        let (_, _, switching) = try respond(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: x\r\n\r\n")
        #expect(
            switching
                == "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: x\r\nVia: 1.1 openruko\r\nConnection: upgrade\r\n\r\n"
        )
        let (_, _, noReason) = try respond("HTTP/1.1 204\r\n\r\n")
        #expect(noReason.hasPrefix("HTTP/1.1 204\r\n"))
    }
}
