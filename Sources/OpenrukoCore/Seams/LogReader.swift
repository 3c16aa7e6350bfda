/// Which lines of an app's log to read (`logs -n N -t --dyno D --source S`).
package struct LogQuery: Sendable, Hashable {
    /// How many recent lines to send first.
    package var lines: Int
    /// Keep streaming new lines until the reader goes away.
    package var tail: Bool
    /// A dyno (`web.1`) or a process type (`web`); nil for all.
    package var dyno: String?
    /// `app` or `heroku`; nil for both.
    package var source: String?

    package init(lines: Int = 100, tail: Bool = false, dyno: String? = nil, source: String? = nil) {
        self.lines = lines
        self.tail = tail
        self.dyno = dyno
        self.source = source
    }

    /// Whether `line` passes the dyno and source filters.
    package func matches(_ line: LogLine) -> Bool {
        if let source, line.source != source { return false }
        if let dyno {
            if dyno.contains(".") { return line.process == dyno }
            return line.process == dyno || line.process.hasPrefix(dyno + ".")
        }
        return true
    }
}

/// Reads an app's log: the last lines, then live ones.
package protocol LogReader: Sendable {
    /// Formatted lines (`2026-11-21T05:00:00.123456+00:00 app[web.1]: text`) matching the
    /// query; with `tail`, the sequence continues until the consumer's task is cancelled.
    func read(app: App, query: LogQuery) -> AsyncStream<String>
}
