/// Why a head could not be read; each maps to the status the router answers with.
enum HTTPHeadError: Error, Hashable {
    /// Bad syntax, bare LF, obs-fold, several `Host`s, conflicting lengths (400).
    case malformed
    /// More than `HeadParser.maxHeadBytes` without the blank line (431).
    case tooLarge
    /// Not HTTP/1.x (505).
    case unsupportedVersion
    /// A request transfer coding other than `chunked` alone (501).
    case unsupportedTransferCoding
}

/// A strict HTTP/1.1 head parser (RFC 9112 §2–§6) working on bytes: no strings, no copies.
/// Strictness is deliberate for a proxy: a request whose length two parsers could read
/// differently (request smuggling) is refused, not guessed at.
enum HeadParser {
    static let maxHeadBytes = 64 * 1024

    /// The offset just past the blank line that ends a head, or nil when it has not arrived.
    /// Scanning resumes at `from` (bytes before it were scanned already).
    /// - Throws: `.malformed` on a bare LF, `.tooLarge` past the limit.
    static func headEnd(in bytes: Span<UInt8>, from: Int) throws(HTTPHeadError) -> Int? {
        var index = max(from, 0)
        let limit = min(bytes.count, maxHeadBytes)
        while index < limit {
            if bytes[index] == ASCII.lf {
                guard index > 0, bytes[index - 1] == ASCII.cr else { throw .malformed }
                if index >= 3, bytes[index - 2] == ASCII.lf, bytes[index - 3] == ASCII.cr { return index + 1 }
            }
            index += 1
        }
        if bytes.count >= maxHeadBytes { throw .tooLarge }
        return nil
    }

    /// Parses a request head (`bytes` is exactly the head, blank line included).
    /// - Parameter fields: an array to fill (emptied first), so a connection can reuse one.
    static func parseRequest(_ bytes: Span<UInt8>, fields: [HeaderField] = []) throws(HTTPHeadError) -> ParsedHead {
        var head = ParsedHead()
        head.fields = fields
        head.fields.removeAll(keepingCapacity: true)
        let lineEnd = try endOfLine(bytes, from: 0)
        var index = 0
        while index < lineEnd, ASCII.isTokenChar(bytes[index]) { index += 1 }
        guard index > 0, index < lineEnd, bytes[index] == ASCII.space else { throw .malformed }
        head.method = 0..<index
        let targetStart = index + 1
        index = targetStart
        while index < lineEnd, bytes[index] > 0x20, bytes[index] != 0x7F { index += 1 }
        guard index > targetStart, index < lineEnd, bytes[index] == ASCII.space else { throw .malformed }
        head.target = targetStart..<index
        head.minorVersion = try version(bytes, at: index + 1, end: lineEnd)
        try parseFields(bytes, from: lineEnd + 2, into: &head)

        if head.hasTransferEncoding {
            guard head.contentLength == nil, head.minorVersion >= 1 else { throw .malformed }
            guard head.chunked, onlyChunked(bytes, head) else { throw .unsupportedTransferCoding }
        }
        guard head.hostCount <= 1, head.hostCount == 1 || head.minorVersion == 0 else { throw .malformed }
        return head
    }

    /// Parses a response head (`bytes` is exactly the head, blank line included).
    /// - Parameter fields: an array to fill (emptied first), so a connection can reuse one.
    static func parseResponse(_ bytes: Span<UInt8>, fields: [HeaderField] = []) throws(HTTPHeadError) -> ParsedHead {
        var head = ParsedHead()
        head.fields = fields
        head.fields.removeAll(keepingCapacity: true)
        let lineEnd = try endOfLine(bytes, from: 0)
        head.minorVersion = try version(bytes, at: 0, end: min(8, lineEnd))
        guard lineEnd >= 12, bytes[8] == ASCII.space else { throw .malformed }
        var status = 0
        for index in 9..<12 {
            let digit = bytes[index] &- UInt8(ascii: "0")
            guard digit < 10 else { throw .malformed }
            status = status * 10 + Int(digit)
        }
        guard status >= 100 else { throw .malformed }
        head.status = status
        guard lineEnd == 12 || bytes[12] == ASCII.space else { throw .malformed }
        for index in 12..<lineEnd where !ASCII.isValueChar(bytes[index]) { throw .malformed }
        head.reason = 12..<lineEnd
        try parseFields(bytes, from: lineEnd + 2, into: &head)
        return head
    }

    /// The body length of a parsed request.
    static func requestBody(_ head: ParsedHead) -> BodyLength {
        if head.chunked { return .chunked }
        if let length = head.contentLength, length > 0 { return .length(length) }
        return .none
    }

    /// The body length of a parsed response (RFC 9112 §6.3).
    static func responseBody(_ head: ParsedHead, toHEAD: Bool) -> BodyLength {
        if toHEAD || head.status < 200 || head.status == 204 || head.status == 304 { return .none }
        if head.hasTransferEncoding { return head.chunked ? .chunked : .untilClose }
        if let length = head.contentLength { return length > 0 ? .length(length) : .none }
        return .untilClose
    }

    // MARK: - Pieces

    /// The index of the CR ending the line that starts at `from`.
    private static func endOfLine(_ bytes: Span<UInt8>, from: Int) throws(HTTPHeadError) -> Int {
        var index = from
        while index < bytes.count {
            if bytes[index] == ASCII.cr {
                guard index + 1 < bytes.count, bytes[index + 1] == ASCII.lf else { throw .malformed }
                return index
            }
            index += 1
        }
        throw .malformed
    }

    /// `HTTP/1.x` at `start`, ending at `end`; returns x.
    private static func version(_ bytes: Span<UInt8>, at start: Int, end: Int) throws(HTTPHeadError) -> Int {
        guard end - start == 8 else { throw .malformed }
        let prefix: StaticString = "HTTP/"
        for offset in 0..<5 where bytes[start + offset] != prefix.utf8Start[offset] { throw .malformed }
        let major = bytes[start + 5] &- UInt8(ascii: "0")
        let minor = bytes[start + 7] &- UInt8(ascii: "0")
        guard major < 10, minor < 10, bytes[start + 6] == UInt8(ascii: ".") else { throw .malformed }
        guard major == 1 else { throw .unsupportedVersion }
        return Int(minor)
    }

    private static func parseFields(_ bytes: Span<UInt8>, from start: Int, into head: inout ParsedHead) throws(HTTPHeadError) {
        var lineStart = start
        head.fields.reserveCapacity(16)
        while true {
            let lineEnd = try endOfLine(bytes, from: lineStart)
            if lineEnd == lineStart {
                head.length = lineEnd + 2
                return
            }
            var index = lineStart
            while index < lineEnd, ASCII.isTokenChar(bytes[index]) { index += 1 }
            // An empty name, whitespace before the colon or a folded line (obs-fold) is refused.
            guard index > lineStart, index < lineEnd, bytes[index] == UInt8(ascii: ":") else { throw .malformed }
            let name = lineStart..<index
            var valueStart = index + 1
            while valueStart < lineEnd, bytes[valueStart] == ASCII.space || bytes[valueStart] == ASCII.tab { valueStart += 1 }
            var valueEnd = lineEnd
            while valueEnd > valueStart, bytes[valueEnd - 1] == ASCII.space || bytes[valueEnd - 1] == ASCII.tab { valueEnd -= 1 }
            for position in valueStart..<valueEnd where !ASCII.isValueChar(bytes[position]) { throw .malformed }
            let field = HeaderField(
                kind: HeaderKind(name: bytes.extracting(name)), line: lineStart..<(lineEnd + 2), name: name,
                value: valueStart..<valueEnd)
            try note(field, bytes, into: &head)
            head.fields.append(field)
            lineStart = lineEnd + 2
        }
    }

    /// Records what the framing and forwarding rules need from one field.
    private static func note(_ field: HeaderField, _ bytes: Span<UInt8>, into head: inout ParsedHead) throws(HTTPHeadError) {
        switch field.kind {
        case .contentLength:
            guard !field.value.isEmpty, field.value.count <= 15 else { throw .malformed }
            var length = 0
            for index in field.value {
                let digit = bytes[index] &- UInt8(ascii: "0")
                guard digit < 10 else { throw .malformed }
                length = length * 10 + Int(digit)
            }
            guard head.contentLength == nil || head.contentLength == length else { throw .malformed }
            head.contentLength = length
        case .transferEncoding:
            head.hasTransferEncoding = true
            var last = field.value
            if let comma = field.value.last(where: { bytes[$0] == UInt8(ascii: ",") }) { last = (comma + 1)..<field.value.upperBound }
            head.chunked = ASCII.equalsIgnoringCase(bytes.extracting(trimmed(bytes, last)), "chunked")
        case .connection:
            forEachToken(bytes, field.value) { token in
                if ASCII.equalsIgnoringCase(token, "close") {
                    head.connectionClose = true
                } else if ASCII.equalsIgnoringCase(token, "keep-alive") {
                    head.connectionKeepAlive = true
                } else if ASCII.equalsIgnoringCase(token, "upgrade") {
                    head.connectionUpgrade = true
                } else if token.count > 0 {
                    head.connectionListed.append((0..<token.count).map { ASCII.lower(token[$0]) })
                }
            }
        case .upgrade:
            head.hasUpgrade = true
        case .host:
            head.hostCount += 1
        default:
            break
        }
    }

    /// Whether every `Transfer-Encoding` field together names exactly one coding: chunked.
    private static func onlyChunked(_ bytes: Span<UInt8>, _ head: ParsedHead) -> Bool {
        var codings = 0
        for field in head.fields where field.kind == .transferEncoding {
            forEachToken(bytes, field.value) { token in if token.count > 0 { codings += 1 } }
        }
        return codings == 1
    }

    private static func forEachToken(_ bytes: Span<UInt8>, _ range: Range<Int>, _ body: (Span<UInt8>) -> Void) {
        var start = range.lowerBound
        for index in range.lowerBound...range.upperBound where index == range.upperBound || bytes[index] == UInt8(ascii: ",") {
            body(bytes.extracting(trimmed(bytes, start..<index)))
            start = index + 1
        }
    }

    private static func trimmed(_ bytes: Span<UInt8>, _ range: Range<Int>) -> Range<Int> {
        var lower = range.lowerBound
        var upper = range.upperBound
        while lower < upper, bytes[lower] == ASCII.space || bytes[lower] == ASCII.tab { lower += 1 }
        while upper > lower, bytes[upper - 1] == ASCII.space || bytes[upper - 1] == ASCII.tab { upper -= 1 }
        return lower..<upper
    }
}
