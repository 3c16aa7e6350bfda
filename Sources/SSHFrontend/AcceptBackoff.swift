/// What the accept loop does when `accept` fails (out of descriptors, mostly): the listener
/// stays readable while the connection waits in the backlog, so retrying at once would spin and
/// log 20 lines a second. Each failure of an episode doubles the wait (`minimum` to `maximum`);
/// only the first is logged, and the first success after it ends the episode with one line
/// saying how long it lasted. A pure state machine: the caller passes the time.
struct AcceptBackoff: Sendable {
    struct Policy: Sendable, Hashable {
        var minimum: Duration = .milliseconds(10)
        var maximum: Duration = .seconds(1)
    }

    /// What to do after a failure.
    struct Step: Sendable, Hashable {
        /// Wait this long before accepting again…
        var delay: Duration
        /// …and log the failure (the first of its episode).
        var log: Bool
    }

    /// An episode of failures that ended.
    struct Recovery: Sendable, Hashable {
        var failures: Int
        var lasted: Duration
    }

    let policy: Policy
    private var failures = 0
    private var since: ContinuousClock.Instant?
    private var delay: Duration

    init(policy: Policy = Policy()) {
        self.policy = policy
        delay = policy.minimum
    }

    /// Whether failures are being waited out now.
    var isBackingOff: Bool { since != nil }

    /// Records a failed accept.
    mutating func failed(now: ContinuousClock.Instant) -> Step {
        failures += 1
        guard since != nil else {
            since = now
            delay = policy.minimum
            return Step(delay: delay, log: true)
        }
        delay = min(policy.maximum, delay * 2)
        return Step(delay: delay, log: false)
    }

    /// Records a successful accept.
    /// - Returns: the episode it ends, if failures came before it.
    mutating func succeeded(now: ContinuousClock.Instant) -> Recovery? {
        guard let start = since else { return nil }
        defer {
            failures = 0
            since = nil
            delay = policy.minimum
        }
        return Recovery(failures: failures, lasted: now - start)
    }
}
