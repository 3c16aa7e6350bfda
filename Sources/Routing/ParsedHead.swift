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
