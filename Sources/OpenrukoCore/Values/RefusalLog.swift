/// Which refused connections a listener logs, so a flood cannot flood the log: at most one line
/// per source address per `perSource`, and the refusals left unlogged are counted and reported
/// in one summary line per `summaryEvery`. A pure state machine: the caller passes the time.
///
/// ```swift
/// if log.refused(source, now: .now) { logger.warning("refusing \(source): …") }
/// if let summary = log.summary(now: .now) { logger.warning("\(summary.refusals) more refused…") }
/// ```
package struct RefusalLog: Sendable {
    package struct Policy: Sendable, Hashable {
        /// One line per source at most this often…
        package var perSource: Duration = .seconds(60)
        /// …a summary of the rest at most this often…
        package var summaryEvery: Duration = .seconds(60)
        /// …and how many sources are remembered at most.
        package var maximumSources = 10_000

        package init(perSource: Duration = .seconds(60), summaryEvery: Duration = .seconds(60), maximumSources: Int = 10_000) {
            self.perSource = perSource
            self.summaryEvery = summaryEvery
            self.maximumSources = maximumSources
        }
    }

    /// Refusals that were not logged one by one.
    package struct Summary: Sendable, Hashable {
        /// How many…
        package var refusals: Int
        /// …from how many sources (counted up to `maximumSources`).
        package var sources: Int

        package init(refusals: Int, sources: Int) {
            self.refusals = refusals
            self.sources = sources
        }
    }

    package let policy: Policy
    private var lastLogged: [String: ContinuousClock.Instant] = [:]
    private var unlogged = 0
    private var unloggedSources: Set<String> = []
    private var firstUnlogged: ContinuousClock.Instant?
    private var lastPruned: ContinuousClock.Instant?

    package init(policy: Policy = Policy()) {
        self.policy = policy
    }

    /// Records a refused connection from `source`.
    /// - Returns: whether to log this refusal (else it only counts towards the next summary).
    package mutating func refused(_ source: String, now: ContinuousClock.Instant) -> Bool {
        if let last = lastLogged[source], now - last < policy.perSource { return count(source, now: now) }
        if lastLogged.count >= policy.maximumSources, lastPruned.map({ now - $0 >= .seconds(1) }) ?? true {
            lastLogged = lastLogged.filter { now - $0.value < policy.perSource }
            lastPruned = now
        }
        // Too many sources to remember each: the rest only count (never a line each).
        guard lastLogged.count < policy.maximumSources || lastLogged[source] != nil else { return count(source, now: now) }
        lastLogged[source] = now
        return true
    }

    private mutating func count(_ source: String, now: ContinuousClock.Instant) -> Bool {
        unlogged += 1
        if unloggedSources.count < policy.maximumSources { unloggedSources.insert(source) }
        if firstUnlogged == nil { firstUnlogged = now }
        return false
    }

    /// When the next summary is due, or nil when nothing is waiting to be summarised.
    package var nextSummary: ContinuousClock.Instant? { firstUnlogged.map { $0 + policy.summaryEvery } }

    /// The summary to log now, if one is due (its counts then start again from zero).
    package mutating func summary(now: ContinuousClock.Instant) -> Summary? {
        guard let due = nextSummary, now >= due else { return nil }
        defer {
            unlogged = 0
            unloggedSources = []
            firstUnlogged = nil
        }
        return Summary(refusals: unlogged, sources: unloggedSources.count)
    }
}
