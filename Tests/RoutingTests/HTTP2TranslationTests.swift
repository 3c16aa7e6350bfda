import NIOCore
import NIOHTTP1
import Testing

@testable import Routing

/// The pure translation between an HTTP/2 stream's parts and the HTTP/1.1 bytes the proxy
/// speaks: requests written strictly (no field can smuggle another), responses read back with
/// their framing decoded and hop-by-hop fields dropped.
@Suite(.timeLimit(.minutes(2))) struct HTTP2TranslationTests {
    let allocator = ByteBufferAllocator()

    func request(_ method: HTTPMethod = .GET, _ uri: String = "/", _ headers: [(String, String)]) -> HTTPRequestHead {
        HTTPRequestHead(version: .http2, method: method, uri: uri, headers: HTTPHeaders(headers))
    }

    func read(_ chunks: [String], toHEAD: Bool = false) throws -> (parts: [HTTPServerResponsePart], reader: HTTP1ResponseReader) {
        var reader = HTTP1ResponseReader(toHEAD: toHEAD)
        var parts: [HTTPServerResponsePart] = []
        for chunk in chunks { try reader.read(ByteBuffer(string: chunk)) { parts.append($0) } }
        return (parts, reader)
    }

    func body(_ parts: [HTTPServerResponsePart]) -> String {
        parts.reduce(into: "") { text, part in
            if case .body(.byteBuffer(let buffer)) = part { text += String(buffer: buffer) }
        }
    }

    @Test func aRequestHeadBecomesHTTP11WithItsFraming() throws {
        let (get, getFraming) = try #require(
            HTTP1RequestWriter.head(request(.GET, "/a?b=1", [("host", "app.localhost"), ("accept", "*/*")]), allocator: allocator))
        #expect(String(buffer: get) == "GET /a?b=1 HTTP/1.1\r\nhost: app.localhost\r\naccept: */*\r\n\r\n")
        #expect(getFraming == .none)
        let (_, lengthFraming) = try #require(
            HTTP1RequestWriter.head(request(.POST, "/", [("host", "a"), ("content-length", "3")]), allocator: allocator))
        #expect(lengthFraming == .length)
        let (_, chunked) = try #require(
            HTTP1RequestWriter.head(request(.POST, "/", [("host", "a"), ("transfer-encoding", "chunked")]), allocator: allocator))
        #expect(chunked == .chunked)
        let piece = try #require(HTTP1RequestWriter.body(ByteBuffer(string: "hello world"), framing: .chunked, allocator: allocator))
        #expect(String(buffer: piece) == "b\r\nhello world\r\n")
        #expect(HTTP1RequestWriter.body(ByteBuffer(string: "x"), framing: .none, allocator: allocator) == nil)
        #expect(String(buffer: try #require(HTTP1RequestWriter.end(framing: .chunked, allocator: allocator))) == "0\r\n\r\n")
        #expect(HTTP1RequestWriter.end(framing: .length, allocator: allocator) == nil)
    }

    @Test func fieldsHTTP11CannotCarryAreRefusedNotSmuggled() {
        let hostile: [HTTPRequestHead] = [
            request(.GET, "/", [("host", "a"), ("x-evil", "1\r\nx-forwarded-for: 6.6.6.6")]),
            request(.GET, "/", [("host", "a"), ("x-evil", "nul\u{0}")]),
            request(.GET, "/ HTTP/1.1\r\nhost: b", [("host", "a")]),
            request(.GET, "/a b", [("host", "a")]),
            request(.GET, "/", [("host", "a"), ("bad name", "1")]),
            request(.POST, "/", [("host", "a"), ("transfer-encoding", "gzip")]),
            request(.POST, "/", [("host", "a"), ("content-length", "3"), ("transfer-encoding", "chunked")]),
        ]
        for head in hostile {
            #expect(HTTP1RequestWriter.head(head, allocator: allocator) == nil, "\(head)")
        }
        // Hop-by-hop fields never reach the dyno (HTTP/2 refuses them before this anyway).
        let (bytes, _) = HTTP1RequestWriter.head(
            request(.GET, "/", [("host", "a"), ("connection", "close"), ("upgrade", "websocket"), ("keep-alive", "1")]),
            allocator: allocator)!
        #expect(String(buffer: bytes) == "GET / HTTP/1.1\r\nhost: a\r\n\r\n")
    }

    @Test func aLengthDelimitedResponseIsReadAcrossPieces() throws {
        let (parts, reader) = try read([
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nVia: 1.1 openruko\r",
            "\nContent-Length: 11\r\n\r\nhello",
            " world",
        ])
        guard case .head(let head) = parts.first else { Issue.record("no head: \(parts)"); return }
        #expect(head.status == .ok)
        #expect(head.headers["content-type"] == ["text/plain"])
        #expect(head.headers["content-length"] == ["11"])
        #expect(head.headers["via"] == ["1.1 openruko"])
        #expect(head.headers["connection"].isEmpty && head.headers["keep-alive"].isEmpty)
        #expect(body(parts) == "hello world")
        guard case .end = parts.last else { Issue.record("no end: \(parts)"); return }
        #expect(reader.isComplete)
    }

    @Test func aChunkedResponseIsDecoded() throws {
        let (parts, reader) = try read([
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: x-private\r\nX-Private: 1\r\n\r\n5\r\nhel",
            "lo\r\n6;ext=1\r\n world\r\n0\r\ntrailer: 1\r\n\r\n",
        ])
        guard case .head(let head) = parts.first else { Issue.record("no head"); return }
        #expect(head.headers["transfer-encoding"].isEmpty)
        #expect(head.headers["x-private"].isEmpty, "a field Connection lists is hop-by-hop")
        #expect(body(parts) == "hello world")
        #expect(reader.isComplete)
    }

    @Test func headInformationalAndCloseDelimitedResponses() throws {
        let (headParts, _) = try read(["HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"], toHEAD: true)
        #expect(headParts.count == 2, "head and end, no body for HEAD")
        let (informational, _) = try read(["HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"])
        #expect(informational.count == 3)
        if case .head(let first) = informational[0] { #expect(first.status == .continue) }
        var (parts, reader) = try read(["HTTP/1.0 200 OK\r\n\r\nuntil ", "close"])
        #expect(reader.endsWithClose && !reader.isComplete)
        let closed = reader.close { parts.append($0) }
        #expect(closed)
        #expect(body(parts) == "until close")
        guard case .end = parts.last else { Issue.record("no end"); return }
    }

    @Test func somethingElseIsAnError() {
        #expect(throws: HTTPHeadError.self) { try read(["HTTP/1.1 200 OK\nbare LF\r\n\r\n"]) }
        #expect(throws: HTTPHeadError.self) { try read(["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"]) }
    }
}
