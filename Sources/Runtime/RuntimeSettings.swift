import Foundation

/// The runtime's limits, each Heroku's by default and overridable through the environment
/// (so tests run with short ones):
/// `OPENRUKO_BOOT_TIMEOUT` (seconds, 60), `OPENRUKO_STOP_TIMEOUT` (seconds, 30),
/// `OPENRUKO_RESTART_BACKOFF` (comma-separated seconds; default Heroku's 0/20/40/60/180/320 min),
/// `OPENRUKO_RELEASE_TIMEOUT` (seconds, 3600), `OPENRUKO_ONE_OFF_TTL` (seconds, 86400), `OPENRUKO_ONE_OFF_LIMIT` (5 per app),
/// `OPENRUKO_RENDEZVOUS_TIMEOUT` (seconds, 60), `OPENRUKO_MEMORY_SAMPLE` (seconds, 2), `OPENRUKO_METRICS_INTERVAL` (seconds, 20), `OPENRUKO_DYNO_PORTS` (`FIRST-LAST`, 20000-29999: below Linux's ephemeral range, so an outgoing
/// connection or a port-0 listener never holds a dyno's port).
package struct RuntimeSettings: Sendable, Hashable {
    package var bootTimeout: Duration
    package var stopGrace: Duration
    package var backoff: RestartBackoff
    package var releaseTimeout: Duration
    package var ports: ClosedRange<Int>
    /// How long an up dyno must run before its crash count starts again.
    package var stableAfter: Duration
    /// How often a dyno's memory is sampled for R14/R15 (`OPENRUKO_MEMORY_SAMPLE`, seconds, 2).
    package var memorySampleInterval: Duration = .seconds(2)
    /// How often log-runtime-metrics lines are written (`OPENRUKO_METRICS_INTERVAL`, seconds, 20).
    package var metricsInterval: Duration = .seconds(20)
    /// The longest a one-off dyno lives (`OPENRUKO_ONE_OFF_TTL`, seconds; Heroku's 24 h).
    package var oneOffTTL: Duration = .seconds(86_400)
    /// One-off dynos an app may run at once (`OPENRUKO_ONE_OFF_LIMIT`, 5).
    package var oneOffLimit = 5
    /// How long an attached one-off waits for its client (`OPENRUKO_RENDEZVOUS_TIMEOUT`, seconds, 60).
    package var rendezvousTimeout: Duration = .seconds(60)

    package init(
        bootTimeout: Duration = .seconds(60), stopGrace: Duration = .seconds(30), backoff: RestartBackoff = .heroku,
        releaseTimeout: Duration = .seconds(3600), ports: ClosedRange<Int> = 20000...29999, stableAfter: Duration = .seconds(600)
    ) {
        self.bootTimeout = bootTimeout
        self.stopGrace = stopGrace
        self.backoff = backoff
        self.releaseTimeout = releaseTimeout
        self.ports = ports
        self.stableAfter = stableAfter
    }

    /// The settings from the environment.
    /// - Throws: `RuntimeSettingError` naming the malformed variable.
    package static func from(environment: [String: String] = ProcessInfo.processInfo.environment) throws(RuntimeSettingError)
        -> RuntimeSettings
    {
        var settings = RuntimeSettings()
        func seconds(_ name: String) throws(RuntimeSettingError) -> Duration? {
            guard let text = environment[name] else { return nil }
            guard let value = Double(text), value > 0, value.isFinite else {
                throw RuntimeSettingError("\(name) must be a positive number of seconds, not \(text.debugDescription).")
            }
            return .milliseconds(Int64((value * 1000).rounded()))
        }
        if let boot = try seconds("OPENRUKO_BOOT_TIMEOUT") { settings.bootTimeout = boot }
        if let grace = try seconds("OPENRUKO_STOP_TIMEOUT") { settings.stopGrace = grace }
        if let release = try seconds("OPENRUKO_RELEASE_TIMEOUT") { settings.releaseTimeout = release }
        if let sample = try seconds("OPENRUKO_MEMORY_SAMPLE") { settings.memorySampleInterval = sample }
        if let metrics = try seconds("OPENRUKO_METRICS_INTERVAL") { settings.metricsInterval = metrics }
        if let ttl = try seconds("OPENRUKO_ONE_OFF_TTL") { settings.oneOffTTL = ttl }
        if let wait = try seconds("OPENRUKO_RENDEZVOUS_TIMEOUT") { settings.rendezvousTimeout = wait }
        if let text = environment["OPENRUKO_ONE_OFF_LIMIT"] {
            guard let limit = Int(text), (1...1000).contains(limit) else {
                throw RuntimeSettingError("OPENRUKO_ONE_OFF_LIMIT must be a number from 1 to 1000, not \(text.debugDescription).")
            }
            settings.oneOffLimit = limit
        }
        if let text = environment["OPENRUKO_RESTART_BACKOFF"] { settings.backoff = try RestartBackoff(parsing: text) }
        if let text = environment["OPENRUKO_DYNO_PORTS"] {
            let bounds = text.split(separator: "-").compactMap { Int($0) }
            guard bounds.count == 2, bounds[0] >= 1024, bounds[0] <= bounds[1], bounds[1] <= 65535 else {
                throw RuntimeSettingError("OPENRUKO_DYNO_PORTS must be FIRST-LAST within 1024-65535, not \(text.debugDescription).")
            }
            settings.ports = bounds[0]...bounds[1]
        }
        return settings
    }
}

/// A malformed runtime setting.
package struct RuntimeSettingError: Error, Sendable, CustomStringConvertible {
    package let description: String
    package init(_ description: String) { self.description = description }
}
