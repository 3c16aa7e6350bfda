package import NIOHTTP1

/// What the router knows about the client side of a connection when it forwards a request.
package struct ForwardingContext: Hashable, Sendable {
    /// The TCP peer's IP address.
    package var clientAddress: String
    /// `X-Forwarded-Proto`: the scheme the client used (`http` here: the router serves plain HTTP).
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

/// A request head rewritten for the dyno, and what the router learned while rewriting it.
package struct ForwardedRequest {
    /// HTTP/1.1, hop-by-hop headers removed, `X-Forwarded-*`, `X-Request-Id`, `X-Request-Start` and `Via` set.
    package var head: HTTPRequestHead
    /// The client's acceptable `X-Request-Id`, or a new one.
    package var requestID: String
    /// The `X-Forwarded-For` sent on (the client's chain plus the peer address).
    package var forwardedFor: String
    /// The client asked to switch protocols (`Connection: upgrade` + `Upgrade`).
    package var wantsUpgrade: Bool
}

/// How a response body reaches the client.
package enum ResponseFraming: Hashable, Sendable {
    /// No body (HEAD, 1xx, 204, 304).
    case none
    case contentLength
    case chunked
    /// Until the router closes the connection (an HTTP/1.0 client and a body of unknown length).
    case untilClose
}

/// The response head for the client and how to frame its body.
package struct ClientResponse {
    package var head: HTTPResponseHead
    package var framing: ResponseFraming
    /// Whether the client connection stays open after this response.
    package var keepAlive: Bool
}

/// Pure header rewriting between client and dyno, as a reverse proxy must (RFC 9110 §7.6).
package enum HeaderRewriter {
    /// Rewrites a client's request head for the dyno.
    /// - Parameters:
    ///   - requestStart: `X-Request-Start`, milliseconds since 1970 (as Heroku sends it).
    ///   - makeRequestID: called when the client sent no acceptable `X-Request-Id`.
    package static func forward(
        _ head: HTTPRequestHead, context: ForwardingContext, requestStart: Int64, makeRequestID: () -> String
    ) -> ForwardedRequest {
        var headers = HTTPHeaders()
        headers.reserveCapacity(head.headers.count + 8)
        var forwardedFor: String?
        var via: String?
        var requestID: String?
        var upgrade: String?
        var chunked = false
        var connectionUpgrade = false
        var extraHopByHop: [Substring] = []
        for (name, value) in head.headers {
            switch HeaderName(name) {
            case .connection:
                scanConnection(value, upgrade: &connectionUpgrade, extra: &extraHopByHop)
            case .keepAlive, .proxyConnection, .te, .xForwardedProto, .xForwardedPort, .xRequestStart:
                continue
            case .transferEncoding:
                chunked = chunked || value.lowercased().contains("chunked")
            case .upgrade:
                upgrade = value
            case .xForwardedFor:
                forwardedFor = forwardedFor.map { $0 + ", " + value } ?? value
            case .xRequestID:
                requestID = requestID ?? value
            case .via:
                via = via.map { $0 + ", " + value } ?? value
            case .contentLength, .other:
                headers.add(name: name, value: value)
            }
        }
        for name in extraHopByHop { headers.remove(name: String(name)) }
        if chunked {
            headers.remove(name: "content-length")
            headers.add(name: "transfer-encoding", value: "chunked")
        }
        let wantsUpgrade = connectionUpgrade && upgrade != nil
        if wantsUpgrade, let upgrade {
            headers.add(name: "connection", value: "upgrade")
            headers.add(name: "upgrade", value: upgrade)
        }
        let id = requestID.flatMap { RequestID.isAcceptable($0) ? $0 : nil } ?? makeRequestID()
        let fwd = forwardedFor.map { $0 + ", " + context.clientAddress } ?? context.clientAddress
        headers.add(name: "x-forwarded-for", value: fwd)
        headers.add(name: "x-forwarded-proto", value: context.proto)
        headers.add(name: "x-forwarded-port", value: String(context.port))
        headers.add(name: "x-request-id", value: id)
        headers.add(name: "x-request-start", value: String(requestStart))
        headers.add(name: "via", value: via.map { $0 + ", " + context.via } ?? context.via)
        let forwarded = HTTPRequestHead(version: .http1_1, method: head.method, uri: head.uri, headers: headers)
        return ForwardedRequest(head: forwarded, requestID: id, forwardedFor: fwd, wantsUpgrade: wantsUpgrade)
    }

    /// Rewrites a dyno's response head for the client.
    /// - Parameters:
    ///   - method: the request's method (a response to `HEAD` has no body).
    ///   - clientVersion: the client's HTTP version (no chunked encoding for HTTP/1.0).
    ///   - clientKeepAlive: the client wants the connection kept open.
    package static func respond(
        _ head: HTTPResponseHead, method: HTTPMethod, clientVersion: HTTPVersion, clientKeepAlive: Bool, via ourVia: String
    ) -> ClientResponse {
        let status = head.status.code
        let switching = status == 101
        var headers = HTTPHeaders()
        headers.reserveCapacity(head.headers.count + 3)
        var via: String?
        var contentLength = false
        var extraHopByHop: [Substring] = []
        for (name, value) in head.headers {
            switch HeaderName(name) {
            case .connection:
                var upgrade = false
                scanConnection(value, upgrade: &upgrade, extra: &extraHopByHop)
            case .keepAlive, .proxyConnection:
                continue
            case .transferEncoding:
                continue  // the decoder undid the dyno's chunking; the client's framing is decided below
            case .upgrade:
                if switching { headers.add(name: name, value: value) }
            case .via:
                via = via.map { $0 + ", " + value } ?? value
            case .contentLength:
                contentLength = true
                headers.add(name: name, value: value)
            default:
                headers.add(name: name, value: value)
            }
        }
        for name in extraHopByHop { headers.remove(name: String(name)) }
        headers.add(name: "via", value: via.map { $0 + ", " + ourVia } ?? ourVia)

        let framing: ResponseFraming
        if (100..<200).contains(status) || status == 204 {
            headers.remove(name: "content-length")
            framing = .none
        } else if method == .HEAD || status == 304 {
            framing = .none
        } else if contentLength {
            framing = .contentLength
        } else if clientVersion.supportsChunking {
            headers.add(name: "transfer-encoding", value: "chunked")
            framing = .chunked
        } else {
            framing = .untilClose
        }
        let keepAlive = clientKeepAlive && framing != .untilClose
        if switching {
            headers.add(name: "connection", value: "upgrade")
        } else if (100..<200).contains(status) {
            // informational: no connection management
        } else if !keepAlive {
            headers.add(name: "connection", value: "close")
        } else if !clientVersion.supportsChunking {
            headers.add(name: "connection", value: "keep-alive")
        }
        return ClientResponse(head: HTTPResponseHead(version: .http1_1, status: head.status, headers: headers), framing: framing, keepAlive: keepAlive)
    }

    /// Reads a `Connection` value: notes `upgrade`, and collects extra header names it lists
    /// (hop-by-hop by declaration) other than `close` and `keep-alive`.
    static func scanConnection(_ value: String, upgrade: inout Bool, extra: inout [Substring]) {
        for token in value.split(separator: ",") {
            let token = token.trimmingASCIISpaces()
            if token.equalsIgnoringASCIICase("upgrade") {
                upgrade = true
            } else if !token.equalsIgnoringASCIICase("close") && !token.equalsIgnoringASCIICase("keep-alive"), !token.isEmpty {
                extra.append(token)
            }
        }
    }
}

/// The header names the rewriter treats specially, matched without allocating.
enum HeaderName {
    case connection, keepAlive, proxyConnection, te, transferEncoding, upgrade, contentLength
    case xForwardedFor, xForwardedProto, xForwardedPort, xRequestID, xRequestStart, via
    case other

    init(_ name: String) {
        let candidate: (HeaderName, StaticString)
        switch name.utf8.count {
        case 2: candidate = (.te, "te")
        case 3: candidate = (.via, "via")
        case 7: candidate = (.upgrade, "upgrade")
        case 10:
            let first = name.utf8.first.map { $0 | 0x20 }
            candidate = first == UInt8(ascii: "c") ? (.connection, "connection") : (.keepAlive, "keep-alive")
        case 12: candidate = (.xRequestID, "x-request-id")
        case 14: candidate = (.contentLength, "content-length")
        case 15:
            let tenth = name.utf8.dropFirst(10).first.map { $0 | 0x20 }
            candidate = tenth == UInt8(ascii: "d") ? (.xForwardedFor, "x-forwarded-for") : (.xRequestStart, "x-request-start")
        case 16:
            let first = name.utf8.first.map { $0 | 0x20 }
            candidate = first == UInt8(ascii: "p") ? (.proxyConnection, "proxy-connection") : (.xForwardedPort, "x-forwarded-port")
        case 17:
            let first = name.utf8.first.map { $0 | 0x20 }
            candidate = first == UInt8(ascii: "t") ? (.transferEncoding, "transfer-encoding") : (.xForwardedProto, "x-forwarded-proto")
        default:
            self = .other
            return
        }
        self = Substring(name).equalsIgnoringASCIICase(candidate.1) ? candidate.0 : .other
    }
}

extension Substring {
    /// ASCII case-insensitive equality with a lowercase literal.
    func equalsIgnoringASCIICase(_ lowercase: StaticString) -> Bool {
        guard utf8.count == lowercase.utf8CodeUnitCount else { return false }
        var index = 0
        for byte in utf8 {
            let folded = (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) ? byte | 0x20 : byte
            if folded != lowercase.utf8Start[index] { return false }
            index += 1
        }
        return true
    }
}

extension HTTPVersion {
    /// HTTP/1.1 or later.
    var supportsChunking: Bool { major > 1 || (major == 1 && minor >= 1) }
}
