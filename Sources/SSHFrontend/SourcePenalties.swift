import Foundation

/// Per-source limits on the SSH listener (OpenSSH's PerSourcePenalties, and the answer to the
/// DHEat pre-auth DoS, CVE-2002-20001): each client address has a bucket of new connections
/// that refills over time, and a source whose connections keep ending unauthenticated is
/// refused for a while. A pure state machine: the caller passes the time.
struct SourcePenalties: Sendable {
    struct Policy: Sendable, Hashable {
        /// New connections a source may open at once…
        var burst: Double = 40
        /// …and per second after that.
        var perSecond: Double = 8
        /// Connections that end unauthenticated before the source is refused…
        var failuresAllowed = 20
        /// …and for how long.
        var penalty: Duration = .seconds(60)
        /// Sources remembered at most (the fullest, unpenalized ones are forgotten first).
        var maximumSources = 10_000
    }

    /// Whether a new connection from a source is served.
    enum Verdict: Sendable, Hashable {
        case admitted
        /// Too many new connections too fast.
        case tooFast
        /// Too many unauthenticated connections; refused until the instant.
        case penalized(until: ContinuousClock.Instant)
    }

    private struct Source {
        var tokens: Double
        var refilled: ContinuousClock.Instant
        var failures = 0
        var penalizedUntil: ContinuousClock.Instant?
    }

    let policy: Policy
    private var sources: [String: Source] = [:]

    init(policy: Policy = Policy()) {
        self.policy = policy
    }

    /// How many sources are remembered now.
    var remembered: Int { sources.count }

    /// Decides on a new connection from `source` (an address without its port).
    mutating func admit(_ source: String, now: ContinuousClock.Instant) -> Verdict {
        var entry = sources[source] ?? Source(tokens: policy.burst, refilled: now)
        defer { store(source, entry, now: now) }
        if let until = entry.penalizedUntil {
            if now < until { return .penalized(until: until) }
            entry.penalizedUntil = nil
        }
        let elapsed = Double((now - entry.refilled).components.seconds)
            + Double((now - entry.refilled).components.attoseconds) / 1e18
        entry.tokens = min(policy.burst, entry.tokens + max(0, elapsed) * policy.perSecond)
        entry.refilled = now
        guard entry.tokens >= 1 else { return .tooFast }
        entry.tokens -= 1
        return .admitted
    }

    /// Records a connection from `source` that ended without authenticating.
    mutating func failedAuthentication(_ source: String, now: ContinuousClock.Instant) {
        var entry = sources[source] ?? Source(tokens: policy.burst, refilled: now)
        entry.failures += 1
        if entry.failures >= policy.failuresAllowed {
            entry.failures = 0
            entry.penalizedUntil = now + policy.penalty
        }
        store(source, entry, now: now)
    }

    private mutating func store(_ source: String, _ entry: Source, now: ContinuousClock.Instant) {
        sources[source] = entry
        guard sources.count > policy.maximumSources else { return }
        sources = sources.filter { _, value in
            value.penalizedUntil.map { $0 > now } ?? false || value.failures > 0 || value.tokens < policy.burst - 1
        }
    }

    /// The address part of `host:port` (`[v6]:port` or `v6:port` too).
    static func address(of peer: String) -> String {
        guard let colon = peer.lastIndex(of: ":") else { return peer }
        return String(peer[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
    }
}
