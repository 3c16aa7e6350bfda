import Synchronization

/// One listener's connection cap, shared by its event loops: a `ConnectionBudget` and the
/// `RefusalLog` of the connections it turned away, each behind its lock. The listener words
/// and writes the refusal and the log lines.
///
/// ```swift
/// let cap = ListenerCap(total: 256, perSource: 128)
/// if let refused = cap.admit(source) { if refused.logThis { log(…) } } else { …; cap.release(source) }
/// ```
package final class ListenerCap: Sendable {
    /// A connection turned away, and what to log of it.
    package struct Refused: Sendable {
        package var refusal: ConnectionBudget.Refusal
        /// Whether this refusal gets a line of its own (one per source per minute).
        package var logThis: Bool
        /// The refusals not logged one by one, when their summary is due.
        package var summary: RefusalLog.Summary?
    }

    private let budget: Mutex<ConnectionBudget>
    private let refusals = Mutex(RefusalLog())

    package init(total: Int, perSource: Int) {
        budget = Mutex(ConnectionBudget(total: total, perSource: perSource))
    }

    /// Counts a new connection from `source`, or says why it is refused (nil: admitted; then
    /// `release(_:)` when it closes).
    package func admit(_ source: String) -> Refused? {
        guard let refusal = budget.withLock({ $0.admit(source) }) else { return nil }
        let now = ContinuousClock.now
        let (logThis, summary) = refusals.withLock { ($0.refused(source, now: now), $0.summary(now: now)) }
        return Refused(refusal: refusal, logThis: logThis, summary: summary)
    }

    /// An admitted connection from `source` has closed.
    package func release(_ source: String) {
        budget.withLock { $0.release(source) }
    }
}
