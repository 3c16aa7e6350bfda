import Foundation

/// Decides, from periodic samples of a dyno's memory, when to report Heroku's memory errors:
/// R14 (over the quota) at most once per `r14Interval`, and R15 (vastly over it) once the
/// kernel killed a process at the dyno's hard limit or the use reached it — then the driver
/// stops the whole dyno, as Heroku does.
///
/// ```swift
/// var watch = MemoryWatch(quota: 512 << 20, hardLimit: 1024 << 20)
/// watch.sample(inUse: 600 << 20, oomKills: 0, at: .now)   // .quotaExceeded(…)
/// ```
package struct MemoryWatch: Sendable {
    /// What a sample calls for.
    package enum Verdict: Sendable, Hashable {
        /// `Process running mem=…M(…%)` and `Error R14 (Memory quota exceeded)`.
        case quotaExceeded(megabytes: UInt64, percent: Double)
        /// `Error R15 (Memory quota vastly exceeded)`, then the dyno is killed.
        case vastlyExceeded(megabytes: UInt64, percent: Double)
    }

    let quota: UInt64
    let hardLimit: UInt64
    let r14Interval: Duration
    private var lastR14: ContinuousClock.Instant?
    private var killsSeen = 0
    private var stopped = false

    package init(quota: UInt64, hardLimit: UInt64, r14Interval: Duration = .seconds(20)) {
        self.quota = quota
        self.hardLimit = hardLimit
        self.r14Interval = r14Interval
    }

    /// One sample: the dyno's memory in use and the kernel's OOM-kill count for its cgroup.
    package mutating func sample(inUse: UInt64, oomKills: Int, at now: ContinuousClock.Instant) -> Verdict? {
        guard !stopped else { return nil }
        let megabytes = inUse >> 20
        let percent = quota == 0 ? 0 : (Double(inUse) / Double(quota) * 1000).rounded() / 10
        if oomKills > killsSeen || inUse >= hardLimit {
            killsSeen = oomKills
            stopped = true
            return .vastlyExceeded(megabytes: max(megabytes, hardLimit >> 20), percent: max(percent, Double(hardLimit) / Double(max(quota, 1)) * 100))
        }
        guard inUse > quota else { return nil }
        if let lastR14, now - lastR14 < r14Interval { return nil }
        lastR14 = now
        return .quotaExceeded(megabytes: megabytes, percent: percent)
    }

    /// The log lines of `verdict` (source `heroku`), in Heroku's words.
    package static func lines(_ verdict: Verdict) -> [String] {
        switch verdict {
        case .quotaExceeded(let megabytes, let percent):
            ["Process running mem=\(megabytes)M(\(percent)%)", "Error R14 (Memory quota exceeded)"]
        case .vastlyExceeded(let megabytes, let percent):
            ["Process running mem=\(megabytes)M(\(percent)%)", "Error R15 (Memory quota vastly exceeded)", "Stopping process with SIGKILL"]
        }
    }
}
