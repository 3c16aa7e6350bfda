import NIOCore
import NIOHTTP1

/// Writes one HTTP/2 stream's request as the HTTP/1.1 bytes the proxy reads from a client: the
/// head (HTTP/2's `:authority` already became `Host`), then the body, chunked when the stream
/// gave no `Content-Length`. Every byte is checked first: a field that HTTP/2 carried but
/// HTTP/1.1 cannot (a CR or LF in a value, a space in the path) would otherwise let a client
/// write a field of its own into the request line by line (request smuggling), so it is refused.
enum HTTP1RequestWriter {
    /// How the body goes out.
    enum Framing: Hashable {
        /// The request has no body (bytes that come anyway are dropped).
        case none
        /// As many bytes as `Content-Length` says, as they are.
        case length
        /// Chunked, one chunk per piece.
        case chunked
    }

    /// The head's bytes and how its body is framed; nil when the head cannot be written as
    /// HTTP/1.1 (the stream gets a 400).
    static func head(_ head: HTTPRequestHead, allocator: ByteBufferAllocator) -> (ByteBuffer, Framing)? {
        let method = head.method.rawValue
        guard isToken(method.utf8), isTarget(head.uri.utf8) else { return nil }
        var framing = Framing.none
        var out = allocator.buffer(capacity: 256)
        out.writeString(method)
        out.writeInteger(ASCII.space)
        out.writeString(head.uri)
        out.writeStaticString(" HTTP/1.1\r\n")
        for (name, value) in head.headers {
            guard isToken(name.utf8), isValue(value.utf8) else { return nil }
            let kind = HeaderKind(name: name.utf8.span)
            switch kind {
            case .connection, .keepAlive, .proxyConnection, .upgrade:
                continue  // HTTP/2 refuses these already; never forwarded
            case .transferEncoding:
                guard value.lowercased() == "chunked", framing == .none else { return nil }
                framing = .chunked
            case .contentLength:
                guard framing == .none else { return nil }
                framing = .length
            default:
                break
            }
            out.writeString(name)
            out.writeStaticString(": ")
            out.writeString(value)
            out.writeStaticString("\r\n")
        }
        out.writeStaticString("\r\n")
        return (out, framing)
    }

    /// One piece of body as it goes out with `framing`; nil when nothing goes out.
    static func body(_ piece: ByteBuffer, framing: Framing, allocator: ByteBufferAllocator) -> ByteBuffer? {
        guard piece.readableBytes > 0 else { return nil }
        switch framing {
        case .none:
            return nil
        case .length:
            return piece
        case .chunked:
            var out = allocator.buffer(capacity: piece.readableBytes + 12)
            out.writeString(String(piece.readableBytes, radix: 16))
            out.writeStaticString("\r\n")
            out.writeImmutableBuffer(piece)
            out.writeStaticString("\r\n")
            return out
        }
    }

    /// The end of the body with `framing`; nil when nothing goes out.
    static func end(framing: Framing, allocator: ByteBufferAllocator) -> ByteBuffer? {
        guard framing == .chunked else { return nil }
        var out = allocator.buffer(capacity: 5)
        out.writeStaticString("0\r\n\r\n")
        return out
    }

    private static func isToken(_ bytes: String.UTF8View) -> Bool {
        !bytes.isEmpty && bytes.allSatisfy(ASCII.isTokenChar)
    }

    /// A request target: visible ASCII only (no space, no control, no DEL).
    private static func isTarget(_ bytes: String.UTF8View) -> Bool {
        !bytes.isEmpty && bytes.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }

    private static func isValue(_ bytes: String.UTF8View) -> Bool {
        bytes.allSatisfy(ASCII.isValueChar)
    }
}
