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

/// One header line of a parsed head, as byte offsets into the head.
struct HeaderField {
    var kind: HeaderKind
    /// The whole line, CRLF included: what is copied when the field passes through.
    var line: Range<Int>
    var name: Range<Int>
    /// Without surrounding whitespace.
    var value: Range<Int>
}

/// How a message body is delimited (RFC 9112 §6).
enum BodyLength: Hashable {
    case none
    case length(Int)
    case chunked
    /// Until the sender closes the connection (responses only).
    case untilClose
}

/// A request or response head, parsed strictly but kept as byte offsets into its bytes, so
/// forwarding copies lines instead of building strings.
struct ParsedHead {
    /// Bytes of the head, final empty line included.
    var length = 0
    /// `HTTP/1.x`.
    var minorVersion = 1
    /// Request line parts.
    var method = 0..<0
    var target = 0..<0
    /// Status line parts: the code and the rest of the line after it (`" OK"`).
    var status = 0
    var reason = 0..<0
    var fields: [HeaderField] = []
    var contentLength: Int?
    var hasTransferEncoding = false
    /// The last transfer coding is `chunked`.
    var chunked = false
    var connectionClose = false
    var connectionKeepAlive = false
    var connectionUpgrade = false
    /// Other field names the `Connection` header declares hop-by-hop (lowercase, rare).
    var connectionListed: [[UInt8]] = []
    var hasUpgrade = false
    var hostCount = 0

    /// Whether the sender wants the connection kept open (RFC 9112 §9.3).
    var keepAlive: Bool {
        minorVersion >= 1 ? !connectionClose : connectionKeepAlive && !connectionClose
    }

    /// A request asking to switch protocols (`Connection: upgrade` and `Upgrade`).
    var wantsUpgrade: Bool { connectionUpgrade && hasUpgrade }

    /// The first field of a kind.
    func first(_ kind: HeaderKind) -> HeaderField? {
        fields.first { $0.kind == kind }
    }

    /// Whether `Connection` named this field's name (it must not be forwarded).
    func isListedInConnection(_ field: HeaderField, in bytes: Span<UInt8>) -> Bool {
        guard !connectionListed.isEmpty else { return false }
        let name = bytes.extracting(field.name)
        return connectionListed.contains { listed in
            listed.count == name.count && (0..<name.count).allSatisfy { ASCII.lower(name[$0]) == listed[$0] }
        }
    }
}

/// Byte helpers for HTTP's ASCII grammar.
enum ASCII {
    static let cr = UInt8(ascii: "\r")
    static let lf = UInt8(ascii: "\n")
    static let space = UInt8(ascii: " ")
    static let tab = UInt8(ascii: "\t")

    static func lower(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
    }

    /// RFC 9110 `tchar`.
    static func isTokenChar(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
            UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
            UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            true
        default:
            false
        }
    }

    /// Field-value characters: HTAB, SP, VCHAR, obs-text.
    static func isValueChar(_ byte: UInt8) -> Bool {
        byte == tab || (byte >= 0x20 && byte != 0x7F)
    }

    static func equalsIgnoringCase(_ bytes: Span<UInt8>, _ lowercase: StaticString) -> Bool {
        guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
        for index in 0..<bytes.count where lower(bytes[index]) != lowercase.utf8Start[index] { return false }
        return true
    }

}
