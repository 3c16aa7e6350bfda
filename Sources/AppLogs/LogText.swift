package import OpenrukoCore

/// The parts of a stored log line (`2026-11-21T05:00:00.123456+00:00 app[web.1]: text`),
/// read back without copying.
package struct LogText: Sendable {
    /// The whole line, without its newline.
    package let line: Substring
    /// `2026-11-21T05:00:00.123456+00:00`.
    package let timestamp: Substring
    /// `app` or `heroku`.
    package let source: Substring
    /// `web.1`, `router`, `api`…
    package let process: Substring
    /// The text after `]: `.
    package let message: Substring

    /// Splits a stored line; nil when it does not have the shape.
    package init?(_ line: Substring) {
        guard let space = line.firstIndex(of: " ") else { return nil }
        let rest = line[line.index(after: space)...]
        guard let open = rest.firstIndex(of: "["), let close = rest[open...].firstIndex(of: "]") else { return nil }
        let after = rest[rest.index(after: close)...]
        guard after.hasPrefix(": ") || after == ":" else { return nil }
        self.line = line
        timestamp = line[..<space]
        source = rest[..<open]
        process = rest[rest.index(after: open)..<close]
        message = after.dropFirst(after.hasPrefix(": ") ? 2 : 1)
    }
}

extension LogQuery {
    /// Whether a stored line passes the dyno and source filters (lines that do not parse pass
    /// only an unfiltered query).
    package func matches(_ line: Substring) -> Bool {
        if dyno == nil && source == nil { return true }
        guard let text = LogText(line) else { return false }
        if let source, text.source != source { return false }
        if let dyno {
            if dyno.contains(".") { return text.process == dyno }
            return text.process == dyno || text.process.hasPrefix(dyno + ".")
        }
        return true
    }
}
