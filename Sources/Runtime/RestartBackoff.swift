import Foundation

/// How long a crashed dyno waits before it is started again (Heroku's Common Runtime policy,
/// buildpacks-and-dynos.md §2.5): the first crash restarts at once, later consecutive crashes
/// wait up to 20, 40, 60, 180, then 320 minutes (and every 320 minutes after that).
///
/// ```swift
/// let backoff = try RestartBackoff(parsing: "0,1,2")   // seconds, for tests
/// backoff.delay(afterCrash: 2, jitter: 0.3)            // 1 s
/// ```
package struct RestartBackoff: Sendable, Hashable {
    /// The longest wait after crash 1, 2, 3…; the last entry repeats.
    package var caps: [Duration]
    /// Whether waits are drawn below their cap ("up to", as on Heroku) instead of exact.
    package var jittered: Bool

    package init(caps: [Duration], jittered: Bool) {
        self.caps = caps.isEmpty ? [.zero] : caps
        self.jittered = jittered
    }

    /// Heroku's schedule, jittered.
    package static let heroku = RestartBackoff(
        caps: [.zero, .seconds(20 * 60), .seconds(40 * 60), .seconds(60 * 60), .seconds(180 * 60), .seconds(320 * 60)],
        jittered: true)

    /// Parses an exact schedule: comma-separated waits in seconds (`0,1,2.5`), as
    /// `OPENRUKO_RESTART_BACKOFF` gives it.
    /// - Throws: `RuntimeSettingError` for anything else.
    package init(parsing text: String) throws(RuntimeSettingError) {
        var caps: [Duration] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let word = part.trimmingCharacters(in: .whitespaces)
            guard let seconds = Double(word), seconds >= 0, seconds.isFinite else {
                throw RuntimeSettingError(
                    "OPENRUKO_RESTART_BACKOFF must be comma-separated seconds such as 0,1,2 (not \(text.debugDescription)).")
            }
            caps.append(.milliseconds(Int64((seconds * 1000).rounded())))
        }
        self.init(caps: caps, jittered: false)
    }

    /// The wait after the `crash`-th consecutive crash (1-based).
    /// - Parameters:
    ///   - jitter: a number in `0...1` drawn by the caller; a jittered wait is between half
    ///     its cap (jitter 0) and its cap (jitter 1). Ignored for exact schedules.
    package func delay(afterCrash crash: Int, jitter: Double) -> Duration {
        let cap = caps[min(max(crash, 1), caps.count) - 1]
        guard jittered, cap > .zero else { return cap }
        let fraction = 0.5 + 0.5 * min(max(jitter, 0), 1)
        return cap * fraction
    }
}
