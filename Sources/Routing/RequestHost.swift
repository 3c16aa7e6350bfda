package import NIOHTTP1

/// The host a request is for, as the router matches it against apps and custom domains.
package enum RequestHost {
    /// The host of a request: the authority of an absolute-form target (`GET http://h/p`) when
    /// present (RFC 9112 §3.2.2), else the `Host` header; normalized, or nil when missing.
    package static func of(_ head: HTTPRequestHead) -> String? {
        if let authority = absoluteFormAuthority(head.uri) { return normalize(authority) }
        guard let host = head.headers.first(name: "host") else { return nil }
        return normalize(Substring(host))
    }

    /// `Example.COM:8080` → `example.com`, `[::1]:80` → `::1`, `app.localhost.` → `app.localhost`.
    /// Nil for an empty or malformed value.
    package static func normalize(_ value: Substring) -> String? {
        var text = value.trimmingASCIISpaces()
        if text.first == "[" {
            guard let close = text.firstIndex(of: "]") else { return nil }
            text = text[text.index(after: text.startIndex)..<close]
        } else if let colon = text.firstIndex(of: ":") {
            let port = text[text.index(after: colon)...]
            guard port.allSatisfy(\.isASCIIDigit) else { return nil }
            text = text[..<colon]
        }
        if text.last == "." { text = text.dropLast() }
        guard !text.isEmpty, !text.contains(where: { $0 == " " || $0 == "/" || $0 == "@" }) else { return nil }
        return text.utf8.contains(where: { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") })
            ? text.lowercased() : String(text)
    }

    /// `host:port` of `http://host:port/path`, nil for origin-form targets (`/path`).
    static func absoluteFormAuthority(_ uri: String) -> Substring? {
        guard uri.first != "/" else { return nil }
        let lower = uri.prefix(8).lowercased()
        let schemeLength = lower.hasPrefix("http://") ? 7 : lower.hasPrefix("https://") ? 8 : 0
        guard schemeLength > 0 else { return nil }
        let rest = uri.dropFirst(schemeLength)
        let end = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        return rest[..<end]
    }
}

extension Substring {
    func trimmingASCIISpaces() -> Substring {
        var text = self
        while let first = text.first, first == " " || first == "\t" { text = text.dropFirst() }
        while let last = text.last, last == " " || last == "\t" { text = text.dropLast() }
        return text
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
