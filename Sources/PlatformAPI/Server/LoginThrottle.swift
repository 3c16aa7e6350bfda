/// Failed password logins allowed per account and per source address: `failuresAllowed`
/// within a sliding `window` each; past that, attempts are refused (429 `rate_limit`) without
/// checking the password until the oldest failure leaves the window. A pure state machine: the
/// caller passes the time.
///
/// An attempt counts as a failure from the moment it is admitted (so concurrent attempts
/// cannot slip past the limit while their passwords are being checked) and is taken back when
/// the password was right; a right password also clears its account's failures. A source's
/// failures are never cleared by a success (one good account must not reset an attacker's
/// budget), and no account's failures affect another account from another source.
struct LoginThrottle: Sendable {
    struct Policy: Sendable, Hashable {
        /// Failures within `window` before attempts are refused…
        var failuresAllowed = 5
        /// …the window…
        var window: Duration = .seconds(60)
        /// …and how many accounts and sources are remembered at most (entries without a
        /// failure in the window go first, then the stalest).
        var maximumEntries = 10_000
    }

    enum Verdict: Sendable, Hashable {
        /// Check the password; report the outcome with `succeeded` or leave it as a failure.
        case allowed(Attempt)
        /// Refused: the account or the source has failed too often; try again after this long.
        case refused(retryAfter: Duration)
    }

    /// An admitted attempt, to be taken back when its password was right.
    struct Attempt: Sendable, Hashable {
        var account: String
        var source: String
        var at: ContinuousClock.Instant
        /// Neither the account nor the source had failed within the window: its check may go
        /// ahead of theirs (so other accounts' failures never delay it).
        var isClean: Bool
    }

    private enum Key: Hashable {
        case account(String)
        case source(String)
    }

    let policy: Policy
    /// Failure instants per key, oldest first, at most `failuresAllowed` of them.
    private var failures: [Key: [ContinuousClock.Instant]] = [:]

    init(policy: Policy = Policy()) {
        self.policy = policy
    }

    /// How many accounts and sources are remembered now.
    var remembered: Int { failures.count }

    /// Decides on a login attempt for `account` (an e-mail, compared case-insensitively) from
    /// `source` (an address without its port), counting it as a failure when allowed.
    mutating func attempt(account: String, source: String, now: ContinuousClock.Instant) -> Verdict {
        let keys = [Key.account(account.lowercased()), Key.source(source)]
        let waits = keys.compactMap { wait(for: $0, now: now) }
        if let longest = waits.max() { return .refused(retryAfter: longest) }
        let isClean = keys.allSatisfy { recent($0, now: now).isEmpty }
        for key in keys { record(key, now) }
        prune(now: now)
        return .allowed(Attempt(account: account.lowercased(), source: source, at: now, isClean: isClean))
    }

    /// The attempt's password was right: it is no failure, and its account starts afresh.
    mutating func succeeded(_ attempt: Attempt) {
        withdraw(attempt)
        failures[.account(attempt.account)] = nil
    }

    /// The attempt was never decided (the server was too busy to check it): it is no failure.
    mutating func withdraw(_ attempt: Attempt) {
        for key in [Key.account(attempt.account), Key.source(attempt.source)] {
            guard var list = failures[key], let index = list.lastIndex(of: attempt.at) else { continue }
            list.remove(at: index)
            failures[key] = list.isEmpty ? nil : list
        }
    }

    /// How long `key` must wait, or nil when it may try now.
    private func wait(for key: Key, now: ContinuousClock.Instant) -> Duration? {
        let recent = recent(key, now: now)
        guard recent.count >= policy.failuresAllowed, let oldest = recent.first else { return nil }
        return oldest + policy.window - now
    }

    /// The failures of `key` within the window, oldest first.
    private func recent(_ key: Key, now: ContinuousClock.Instant) -> [ContinuousClock.Instant] {
        (failures[key] ?? []).filter { now - $0 < policy.window }
    }

    private mutating func record(_ key: Key, _ now: ContinuousClock.Instant) {
        var list = recent(key, now: now)
        list.append(now)
        failures[key] = Array(list.suffix(policy.failuresAllowed))
    }

    /// Past `maximumEntries`: forgets the entries without a failure in the window, then the
    /// stalest down to three quarters of it (so this runs once per many attempts, not each).
    private mutating func prune(now: ContinuousClock.Instant) {
        guard failures.count > policy.maximumEntries else { return }
        failures = failures.filter { _, list in list.last.map { now - $0 < policy.window } ?? false }
        let target = policy.maximumEntries * 3 / 4
        guard failures.count > target else { return }
        let stalest = failures.sorted { ($0.value.last ?? now) < ($1.value.last ?? now) }.prefix(failures.count - target)
        for (key, _) in stalest { failures[key] = nil }
    }
}
