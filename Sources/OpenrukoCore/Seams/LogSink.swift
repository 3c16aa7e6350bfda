package import Foundation

/// One log line of an app, tagged like Heroku's: `app[web.1]`, `heroku[router]`, `app[api]`.
package struct LogLine: Hashable, Sendable, Codable {
    package var timestamp: Date
    package var appID: UUID
    /// `app` or `heroku`.
    package var source: String
    /// `web.1`, `router`, `api`, `release.1`, `build`…
    package var process: String
    package var message: String

    package init(timestamp: Date = Date(), appID: UUID, source: String, process: String, message: String) {
        self.timestamp = timestamp
        self.appID = appID
        self.source = source
        self.process = process
        self.message = message
    }
}

/// Where every log line of every app goes. Emitting never blocks the caller.
package protocol LogSink: Sendable {
    /// Records one line; drops (and counts) rather than waits when the store is slow.
    func emit(_ line: LogLine)
}

/// A sink that forgets everything, for processes and tests without a log store.
package struct DiscardingLogSink: LogSink {
    package init() {}
    package func emit(_ line: LogLine) {}
}
