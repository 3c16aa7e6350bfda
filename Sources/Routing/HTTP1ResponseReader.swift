import NIOCore
import NIOHTTP1

/// Reads back the HTTP/1.1 response the proxy writes for one HTTP/2 stream, as the parts the
/// stream sends: the head without hop-by-hop fields (HTTP/2 forbids `Connection`,
/// `Keep-Alive`, `Transfer-Encoding`, `Upgrade`…), the body decoded from its framing, and the
/// end. Informational heads (100, 103) pass on before the final one. A pure value: bytes in,
/// parts out.
///
/// ```swift
/// var reader = HTTP1ResponseReader(toHEAD: false)
/// try reader.read(bytes) { part in stream.write(part) }
/// ```
struct HTTP1ResponseReader {
    private enum Phase {
        case head
        case length(Int)
        case chunked(ChunkedScanner)
        case untilClose
        case done
    }

    private var phase = Phase.head
    /// Bytes of a head still arriving.
    private var pending: ByteBuffer?
    private var scanned = 0
    /// The request was `HEAD`: the response has no body whatever its fields say.
    var toHEAD: Bool

    init(toHEAD: Bool) {
        self.toHEAD = toHEAD
    }

    /// The final response has been read to its end.
    var isComplete: Bool {
        if case .done = phase { return true }
        return false
    }

    /// A final head was read and its body ends only when the proxy closes the stream.
    var endsWithClose: Bool {
        if case .untilClose = phase { return true }
        return false
    }

    /// Consumes `bytes`, calling `emit` for each part they complete. Bytes after the end of the
    /// response are ignored (a stream carries one).
    /// - Throws: when the bytes are not an HTTP/1.1 response.
    mutating func read(_ bytes: ByteBuffer, emit: (HTTPServerResponsePart) -> Void) throws(HTTPHeadError) {
        var data = bytes
        if var earlier = pending {
            pending = nil
            earlier.writeImmutableBuffer(bytes)
            data = earlier
        }
        while data.readableBytes > 0 {
            switch phase {
            case .head:
                guard let end = try HeadParser.headEnd(in: data.readableBytesUInt8Span, from: scanned - 3) else {
                    scanned = data.readableBytes
                    pending = data
                    return
                }
                scanned = 0
                let headBytes = data.readSlice(length: end)!
                let head = try HeadParser.parseResponse(headBytes.readableBytesUInt8Span)
                emit(.head(Self.responseHead(head, headBytes)))
                if head.status < 200 { continue }
                switch HeadParser.responseBody(head, toHEAD: toHEAD) {
                case .none: finish(emit)
                case .length(let count): phase = .length(count)
                case .chunked: phase = .chunked(ChunkedScanner())
                case .untilClose: phase = .untilClose
                }
            case .length(let remaining):
                let count = min(remaining, data.readableBytes)
                emit(.body(.byteBuffer(data.readSlice(length: count)!)))
                if count == remaining { finish(emit) } else { phase = .length(remaining - count) }
            case .chunked(var scanner):
                var pieces: [Range<Int>] = []
                let count = try scanner.scan(data.readableBytesUInt8Span) { pieces.append($0) }
                let start = data.readerIndex
                for piece in pieces where !piece.isEmpty {
                    emit(.body(.byteBuffer(data.getSlice(at: start + piece.lowerBound, length: piece.count)!)))
                }
                data.moveReaderIndex(forwardBy: count)
                if scanner.isDone { finish(emit) } else { phase = .chunked(scanner) }
            case .untilClose:
                emit(.body(.byteBuffer(data)))
                return
            case .done:
                return
            }
        }
    }

    /// The proxy closes the stream: a body that ends with the connection ends here.
    /// - Returns: whether that completed the response.
    mutating func close(emit: (HTTPServerResponsePart) -> Void) -> Bool {
        guard endsWithClose else { return false }
        finish(emit)
        return true
    }

    private mutating func finish(_ emit: (HTTPServerResponsePart) -> Void) {
        phase = .done
        emit(.end(nil))
    }

    /// The head as HTTP/2 sends it: the fields that describe the message, without those that
    /// describe the HTTP/1.1 connection.
    static func responseHead(_ head: ParsedHead, _ bytes: ByteBuffer) -> HTTPResponseHead {
        var headers = HTTPHeaders()
        for field in head.fields {
            switch field.kind {
            case .connection, .keepAlive, .proxyConnection, .transferEncoding, .upgrade, .te:
                continue
            default:
                if head.isListedInConnection(field, in: bytes.readableBytesUInt8Span) { continue }
                headers.add(name: HeadWriter.string(bytes, field.name), value: HeadWriter.string(bytes, field.value))
            }
        }
        return HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: head.status), headers: headers)
    }
}
