import Foundation
package import Isolation

/// Heroku's log-runtime-metrics lines (`heroku[web.1]: source=web.1 dyno=… sample#memory_total=…`),
/// written every `metricsInterval` for apps that turn them on with the config var
/// `OPENRUKO_LOG_RUNTIME_METRICS=true` (Heroku's `labs:enable log-runtime-metrics`).
package enum RuntimeMetrics {
    /// The config var that turns the lines on.
    package static let configVar = "OPENRUKO_LOG_RUNTIME_METRICS"

    /// Whether `config` turns them on (`true`, `1`, `on`, `yes`).
    package static func enabled(_ config: [String: String]) -> Bool {
        ["true", "1", "on", "yes"].contains(config[configVar]?.lowercased() ?? "")
    }

    /// The memory sample line of dyno `source` (`web.1`), instance `dyno`.
    package static func memoryLine(source: String, dyno: String, stat: ProcessCgroup.MemoryStat, quota: UInt64) -> String {
        func megabytes(_ bytes: UInt64) -> String { String(format: "%.2fMB", Double(bytes) / 1_048_576) }
        return "source=\(source) dyno=\(dyno) sample#memory_total=\(megabytes(stat.total)) sample#memory_rss=\(megabytes(stat.rss)) "
            + "sample#memory_cache=\(megabytes(stat.cache)) sample#memory_swap=\(megabytes(stat.swap)) "
            + "sample#memory_pgpgin=\(stat.pagesIn)pages sample#memory_pgpgout=\(stat.pagesOut)pages sample#memory_quota=\(megabytes(quota))"
    }
}
