/// The header fields the router treats specially; everything else passes through untouched.
enum HeaderKind: UInt8 {
    case other
    case host, contentLength, transferEncoding, connection, keepAlive, proxyConnection, te, upgrade
    case xForwardedFor, xForwardedProto, xForwardedPort, xRequestID, xRequestStart, via

    /// Classifies a header name (ASCII, any case) without allocating.
    init(name: Span<UInt8>) {
        let candidate: (HeaderKind, StaticString)
        switch name.count {
        case 2: candidate = (.te, "te")
        case 3: candidate = (.via, "via")
        case 4: candidate = (.host, "host")
        case 7: candidate = (.upgrade, "upgrade")
        case 10:
            candidate = name[0] | 0x20 == UInt8(ascii: "c") ? (.connection, "connection") : (.keepAlive, "keep-alive")
        case 12: candidate = (.xRequestID, "x-request-id")
        case 14: candidate = (.contentLength, "content-length")
        case 15:
            candidate = name[10] | 0x20 == UInt8(ascii: "d") ? (.xForwardedFor, "x-forwarded-for") : (.xRequestStart, "x-request-start")
        case 16:
            candidate =
                name[0] | 0x20 == UInt8(ascii: "p") ? (.proxyConnection, "proxy-connection") : (.xForwardedPort, "x-forwarded-port")
        case 17:
            candidate =
                name[0] | 0x20 == UInt8(ascii: "t") ? (.transferEncoding, "transfer-encoding") : (.xForwardedProto, "x-forwarded-proto")
        default:
            self = .other
            return
        }
        self = ASCII.equalsIgnoringCase(name, candidate.1) ? candidate.0 : .other
    }
}
