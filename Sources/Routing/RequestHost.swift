import NIOCore

/// The host a request is for, as the router matches it against apps and custom domains.
package enum RequestHost {
    /// `Example.COM:8080` → `example.com`, `[::1]:80` → `::1`, `app.localhost.` → `app.localhost`.
    /// Nil for an empty or malformed value.
    package static func normalize(_ value: String) -> String? {
        let bytes = Array(value.utf8)
        guard let (range, uppercase) = hostRange(bytes.span) else { return nil }
        let host = String(decoding: bytes[range], as: UTF8.self)
        return uppercase ? host.lowercased() : host
    }

    /// Where the host name is inside a `Host` value (port, brackets, trailing dot and spaces
    /// left out), and whether it has capitals; nil when the value is not a host.
    static func hostRange(_ value: Span<UInt8>) -> (Range<Int>, uppercase: Bool)? {
        var lower = 0
        var upper = value.count
        while lower < upper, value[lower] == ASCII.space || value[lower] == ASCII.tab { lower += 1 }
        while upper > lower, value[upper - 1] == ASCII.space || value[upper - 1] == ASCII.tab { upper -= 1 }
        guard lower < upper else { return nil }
        if value[lower] == UInt8(ascii: "[") {
            var close = lower + 1
            while close < upper, value[close] != UInt8(ascii: "]") { close += 1 }
            guard close < upper else { return nil }
            guard close + 1 == upper || (value[close + 1] == UInt8(ascii: ":") && isPort(value, close + 2, upper)) else { return nil }
            lower += 1
            upper = close
        } else {
            var colon = lower
            while colon < upper, value[colon] != UInt8(ascii: ":") { colon += 1 }
            if colon < upper {
                guard isPort(value, colon + 1, upper) else { return nil }
                upper = colon
            }
        }
        if upper > lower, value[upper - 1] == UInt8(ascii: ".") { upper -= 1 }
        guard upper > lower else { return nil }
        var uppercase = false
        for index in lower..<upper {
            let byte = value[index]
            // Letters, digits, `-`, `.`, `_` and `:` (IPv6) only: nothing that could escape a log line.
            guard isHostChar(byte) else { return nil }
            uppercase = uppercase || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
        }
        return (lower..<upper, uppercase)
    }

    /// The host of a parsed request: the authority of an absolute-form target
    /// (`GET http://h/p`, RFC 9112 §3.2.2) when present, else the `Host` field.
    static func of(_ head: ParsedHead, in bytes: ByteBuffer) -> String? {
        let span = bytes.readableBytesUInt8Span
        let value: Range<Int>
        if let authority = absoluteFormAuthority(span.extracting(head.target)) {
            value = (head.target.lowerBound + authority.lowerBound)..<(head.target.lowerBound + authority.upperBound)
        } else if let field = head.first(.host) {
            value = field.value
        } else {
            return nil
        }
        guard let (range, uppercase) = hostRange(span.extracting(value)) else { return nil }
        let host = HeadWriter.string(bytes, (value.lowerBound + range.lowerBound)..<(value.lowerBound + range.upperBound))
        return uppercase ? host.lowercased() : host
    }

    /// The authority's offsets in `http://host:port/path`; nil for origin-form targets (`/path`).
    static func absoluteFormAuthority(_ target: Span<UInt8>) -> Range<Int>? {
        guard target.count > 7, target[0] != UInt8(ascii: "/") else { return nil }
        let schemeLength: Int
        if ASCII.equalsIgnoringCase(target.extracting(0..<7), "http://") {
            schemeLength = 7
        } else if target.count > 8, ASCII.equalsIgnoringCase(target.extracting(0..<8), "https://") {
            schemeLength = 8
        } else {
            return nil
        }
        var end = schemeLength
        while end < target.count, target[end] != UInt8(ascii: "/"), target[end] != UInt8(ascii: "?"), target[end] != UInt8(ascii: "#") {
            if target[end] == UInt8(ascii: "@") { return nil }
            end += 1
        }
        return schemeLength..<end
    }

    private static func isHostChar(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: ":"):
            true
        default:
            false
        }
    }

    private static func isPort(_ value: Span<UInt8>, _ lower: Int, _ upper: Int) -> Bool {
        guard lower < upper, upper - lower <= 5 else { return false }
        for index in lower..<upper where value[index] &- UInt8(ascii: "0") >= 10 { return false }
        return true
    }
}
