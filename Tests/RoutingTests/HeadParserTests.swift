import Foundation
import NIOCore
import Testing

@testable import Routing

/// The strict HTTP/1.1 head parser and the chunked-body scanner, on good and hostile input.
@Suite(.timeLimit(.minutes(15))) struct HeadParserTests {
    /// Parses `text` (a whole request head) the way the router does.
    static func request(_ text: String) throws -> (ParsedHead, ByteBuffer) {
        let bytes = ByteBuffer(string: text)
        let end = try #require(try HeadParser.headEnd(in: bytes.readableBytesUInt8Span, from: 0))
        #expect(end == bytes.readableBytes)
        return (try HeadParser.parseRequest(bytes.readableBytesUInt8Span), bytes)
    }

    static func response(_ text: String) throws -> (ParsedHead, ByteBuffer) {
        let bytes = ByteBuffer(string: text)
        return (try HeadParser.parseResponse(bytes.readableBytesUInt8Span), bytes)
    }

    func value(_ head: ParsedHead, _ bytes: ByteBuffer, _ kind: HeaderKind) -> String? {
        head.first(kind).map { HeadWriter.string(bytes, $0.value) }
    }

    @Test func readsARequestHead() throws {
        let (head, bytes) = try Self.request(
            "POST /upload?x=1 HTTP/1.1\r\nHost: app.localhost\r\nContent-Length:  12 \r\nX-Custom: a\tb\r\n\r\n")
        #expect(HeadWriter.string(bytes, head.method) == "POST")
        #expect(HeadWriter.string(bytes, head.target) == "/upload?x=1")
        #expect(head.minorVersion == 1)
        #expect(head.fields.count == 3)
        #expect(value(head, bytes, .contentLength) == "12")
        #expect(HeadParser.requestBody(head) == .length(12))
        #expect(head.keepAlive)
        #expect(!head.wantsUpgrade)
    }

    @Test func findsTheEndOfAHeadArrivingInPieces() throws {
        let text = Array("GET / HTTP/1.1\r\nHost: a\r\n\r\nNEXT".utf8)
        var scanned = 0
        var found: Int?
        for length in 1...text.count where found == nil {
            found = try HeadParser.headEnd(in: Array(text[0..<length]).span, from: scanned - 3)
            scanned = length
        }
        #expect(found == text.count - 4)
        #expect(throws: HTTPHeadError.malformed) { try HeadParser.headEnd(in: Array("GET / HTTP/1.1\nHost: a\n\n".utf8).span, from: 0) }
        let huge = Array(("GET / HTTP/1.1\r\nX: " + String(repeating: "a", count: 70_000)).utf8)
        #expect(throws: HTTPHeadError.tooLarge) { try HeadParser.headEnd(in: huge.span, from: 0) }
    }

    @Test(arguments: [
        "GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",  // obs-fold
        "GET / HTTP/1.1\r\nHost : a\r\n\r\n",  // space before colon
        "GET / HTTP/1.1\r\n: a\r\nHost: a\r\n\r\n",  // empty name
        "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n",  // space in target
        "GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n",  // bare CR
        "GET / HTTP/1.1\r\nHost: a\r\nX: \u{1}\r\n\r\n",  // control character
        "GET / HTTP/1.1\r\n\r\n",  // HTTP/1.1 without Host
        "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",  // two Hosts
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",  // conflicting lengths
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -5\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",  // smuggling
        "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
        "GET / HTTP/1.x\r\nHost: a\r\n\r\n",
        "GET / FTP/1.1\r\nHost: a\r\n\r\n",
    ])
    func refusesAmbiguousOrMalformedRequests(_ text: String) {
        #expect(throws: HTTPHeadError.malformed) { try Self.request(text) }
    }

    @Test func refusesOtherVersionsAndCodings() {
        #expect(throws: HTTPHeadError.unsupportedVersion) { try Self.request("GET / HTTP/2.0\r\nHost: a\r\n\r\n") }
        #expect(throws: HTTPHeadError.unsupportedTransferCoding) {
            try Self.request("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n")
        }
        #expect(throws: HTTPHeadError.unsupportedTransferCoding) {
            try Self.request("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n")
        }
    }

    @Test func readsConnectionAndUpgradeFields() throws {
        let (upgrade, _) = try Self.request(
            "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n\r\n")
        #expect(upgrade.wantsUpgrade)
        let (closing, _) = try Self.request("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        #expect(!closing.keepAlive)
        let (old, _) = try Self.request("GET / HTTP/1.0\r\n\r\n")
        #expect(!old.keepAlive)
        let (oldKeep, _) = try Self.request("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")
        #expect(oldKeep.keepAlive)
        let (chunked, _) = try Self.request("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n")
        #expect(HeadParser.requestBody(chunked) == .chunked)
    }

    @Test func framesResponsesAsRFC9112Says() throws {
        let (sized, _) = try Self.response("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n")
        #expect(sized.status == 200)
        #expect(HeadParser.responseBody(sized, toHEAD: false) == .length(5))
        #expect(HeadParser.responseBody(sized, toHEAD: true) == .none)
        let (chunked, _) = try Self.response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n")
        #expect(HeadParser.responseBody(chunked, toHEAD: false) == .chunked)
        let (open, _) = try Self.response("HTTP/1.0 200 OK\r\n\r\n")
        #expect(HeadParser.responseBody(open, toHEAD: false) == .untilClose)
        #expect(!open.keepAlive)
        let (empty, _) = try Self.response("HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
        #expect(HeadParser.responseBody(empty, toHEAD: false) == .none)
        let (noReason, _) = try Self.response("HTTP/1.1 304\r\nContent-Length: 10\r\n\r\n")
        #expect(HeadParser.responseBody(noReason, toHEAD: false) == .none)
        #expect(throws: HTTPHeadError.malformed) { try Self.response("HTTP/1.1 20 OK\r\n\r\n") }
        #expect(throws: HTTPHeadError.malformed) { try Self.response("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n") }
    }

    @Test func followsChunkedBodiesWhateverTheSplit() throws {
        let body = Array("4;ext=1\r\nWiki\r\n5\r\npedia\r\nA \r\n in chunks\r\n0\r\nExpires: never\r\n\r\n".utf8)
        let tail = Array("GET / HTTP/1.1\r\n".utf8)
        // One piece, then every split into two pieces: the end is found at the same byte.
        for split in 0...body.count {
            var scanner = ChunkedScanner()
            let first = try scanner.scan(Array(body[0..<split]).span)
            let second = try scanner.scan(Array(body[split...] + tail).span)
            #expect(first + second == body.count, "split at \(split)")
            #expect(scanner.isDone)
        }
        var bare = ChunkedScanner()
        #expect(try bare.scan(Array("0\r\n\r\n".utf8).span) == 5)
        #expect(bare.isDone)
    }

    @Test(arguments: ["x\r\n", "5\r\nabcdefg\r\n", "5\nabcde\r\n", "\r\n", "5\r\nabcde\r\n0\r\n bad\r\n\r\n"])
    func refusesBrokenChunkedFraming(_ text: String) {
        var scanner = ChunkedScanner()
        #expect(throws: HTTPHeadError.malformed) { _ = try scanner.scan(Array(text.utf8).span) }
    }

    @Test func bodyTrackersCountWhatIsLeft() throws {
        var sized = BodyTracker(.length(10))
        #expect(try sized.take(Array(repeating: 1, count: 4).span) == 4)
        #expect(!sized.isComplete)
        #expect(try sized.take(Array(repeating: 1, count: 20).span) == 6)
        #expect(sized.isComplete)
        var open = BodyTracker(.untilClose)
        #expect(try open.take(Array(repeating: 1, count: 20).span) == 20)
        #expect(!open.isComplete && open.endsWithClose)
        #expect(BodyTracker(.none).isComplete)
    }
}
