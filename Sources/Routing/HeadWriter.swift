import NIOCore

/// What the router knows about the client side of a connection when it forwards a request.
package struct ForwardingContext: Hashable, Sendable {
    /// The TCP peer's IP address.
    package var clientAddress: String
    /// `X-Forwarded-Proto`: the scheme the client used (`http`, or `https` on the TLS listener).
    package var proto: String
    /// `X-Forwarded-Port`: the port the client connected to.
    package var port: Int
    /// This hop's `Via` entry (`1.1 openruko`).
    package var via: String

    package init(clientAddress: String, proto: String, port: Int, via: String) {
        self.clientAddress = clientAddress
        self.proto = proto
        self.port = port
        self.via = via
    }
}

/// Writes the heads the router forwards, copying the sender's header lines byte for byte except
/// the hop-by-hop ones (RFC 9110 §7.6.1) and the ones the router sets itself.
enum HeadWriter {
    /// The request head for the dyno: the client's request line and fields, without
    /// `Connection`, `Keep-Alive`, `Proxy-Connection`, `TE` and whatever `Connection` lists;
    /// with `X-Forwarded-For` (appended), `-Proto`, `-Port`, `X-Request-Id` (the client's when
    /// Heroku would keep it), `X-Request-Start` (ms since 1970) and `Via`. HTTP/1.0 clients
    /// are forwarded as HTTP/1.0 so the dyno frames its answer for them.
    /// - Returns: the request id and the `X-Forwarded-For` value sent.
    static func writeRequest(
        _ head: ParsedHead, from bytes: ByteBuffer, context: ForwardingContext, requestStart: Int64,
        makeRequestID: () -> String, into out: inout ByteBuffer
    ) -> (requestID: String, forwardedFor: String) {
        let raw = bytes.readableBytesSpan
        let span = bytes.readableBytesUInt8Span
        out.writeBytes(raw.extracting(0..<head.target.upperBound))
        out.writeStaticString(head.minorVersion >= 1 ? " HTTP/1.1\r\n" : " HTTP/1.0\r\n")
        var forwardedFor: String?
        var requestID: String?
        var via: String?
        for field in head.fields {
            switch field.kind {
            case .connection, .keepAlive, .proxyConnection, .te, .xForwardedProto, .xForwardedPort, .xRequestStart:
                continue
            case .upgrade where !head.wantsUpgrade:
                continue
            case .xForwardedFor:
                let value = string(bytes, field.value)
                forwardedFor = forwardedFor.map { $0 + ", " + value } ?? value
            case .xRequestID:
                requestID = requestID ?? string(bytes, field.value)
            case .via:
                let value = string(bytes, field.value)
                via = via.map { $0 + ", " + value } ?? value
            default:
                if head.isListedInConnection(field, in: span) { continue }
                out.writeBytes(raw.extracting(field.line))
            }
        }
        if head.wantsUpgrade { out.writeStaticString("Connection: upgrade\r\n") }
        let id = requestID.flatMap { RequestID.isAcceptable($0) ? $0 : nil } ?? makeRequestID()
        let fwd = forwardedFor.map { $0 + ", " + context.clientAddress } ?? context.clientAddress
        out.writeStaticString("X-Forwarded-For: ")
        out.writeString(fwd)
        out.writeStaticString("\r\nX-Forwarded-Proto: ")
        out.writeString(context.proto)
        out.writeStaticString("\r\nX-Forwarded-Port: ")
        out.writeDecimal(context.port)
        out.writeStaticString("\r\nX-Request-Id: ")
        out.writeString(id)
        out.writeStaticString("\r\nX-Request-Start: ")
        out.writeDecimal(requestStart)
        out.writeStaticString("\r\nVia: ")
        if let via {
            out.writeString(via)
            out.writeStaticString(", ")
        }
        out.writeString(context.via)
        out.writeStaticString("\r\n\r\n")
        return (id, fwd)
    }

    /// The response head for the client: HTTP/1.1, the dyno's status and fields without the
    /// hop-by-hop ones, `Via` appended, and the router's own `Connection` decision.
    /// - Parameters:
    ///   - keepAlive: the client connection stays open after this response.
    ///   - clientMinorVersion: 0 for an HTTP/1.0 client (which must be told `keep-alive`).
    static func writeResponse(
        _ head: ParsedHead, from bytes: ByteBuffer, keepAlive: Bool, clientMinorVersion: Int, via ourVia: String,
        into out: inout ByteBuffer
    ) {
        let raw = bytes.readableBytesSpan
        let span = bytes.readableBytesUInt8Span
        let switching = head.status == 101
        out.writeStaticString("HTTP/1.1 ")
        out.writeBytes(raw.extracting(9..<head.reason.upperBound))
        out.writeStaticString("\r\n")
        var via: String?
        for field in head.fields {
            switch field.kind {
            case .connection, .keepAlive, .proxyConnection:
                continue
            case .upgrade where !switching:
                continue
            case .via:
                let value = string(bytes, field.value)
                via = via.map { $0 + ", " + value } ?? value
            default:
                if head.isListedInConnection(field, in: span) { continue }
                out.writeBytes(raw.extracting(field.line))
            }
        }
        out.writeStaticString("Via: ")
        if let via {
            out.writeString(via)
            out.writeStaticString(", ")
        }
        out.writeString(ourVia)
        if switching {
            out.writeStaticString("\r\nConnection: upgrade")
        } else if head.status < 200 {
            // informational: the final head says what happens to the connection
        } else if !keepAlive {
            out.writeStaticString("\r\nConnection: close")
        } else if clientMinorVersion == 0 {
            out.writeStaticString("\r\nConnection: keep-alive")
        }
        out.writeStaticString("\r\n\r\n")
    }

    /// A router-made response: status line, fields, body.
    static func writeAnswer(
        status: Int, reason: String, body: String, contentType: String, keepAlive: Bool, via: String, includeBody: Bool,
        into out: inout ByteBuffer
    ) {
        out.writeString("HTTP/1.1 \(status) \(reason)\r\nContent-Type: \(contentType)\r\n")
        out.writeString("Content-Length: \(body.utf8.count)\r\nCache-Control: no-cache, no-store\r\nVia: \(via)\r\n")
        out.writeString(keepAlive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n")
        if includeBody { out.writeString(body) }
    }

    /// A field value (or any range of the head) as a string.
    static func string(_ bytes: ByteBuffer, _ range: Range<Int>) -> String {
        bytes.getString(at: bytes.readerIndex + range.lowerBound, length: range.count) ?? ""
    }
}
