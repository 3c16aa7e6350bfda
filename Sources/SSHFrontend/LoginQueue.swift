/// The SSH listener's per-source cap on connections still logging in (key exchange and
/// authentication): at most `perSource` at once from one address. One more waits, without any
/// SSH yet, for a place of its own address to free (a login finishing or a connection ending),
/// at most `wait`; it is refused then, or at once when `waitingPerSource` already wait. So a
/// burst of real logins from one host (parallel pushes of a CI job) only queues for the
/// milliseconds each handshake takes, while idle connections that hold their places cost that
/// address alone. A pure state machine: the caller passes the time and gives each connection
/// an id.
struct LoginQueue: Sendable {
    struct Policy: Sendable, Hashable {
        /// Connections from one address logging in at once…
        var perSource = 10
        /// …more that may wait for a place…
        var waitingPerSource = 30
        /// …for how long…
        var wait: Duration = .seconds(10)
        /// …and how many may wait from every address together.
        var waitingTotal = 128
    }

    /// What becomes of a new connection.
    enum Arrival: Sendable, Hashable {
        /// Serve it now.
        case admitted
        /// Keep it, unserved, until a place frees (`release`) or `expire` refuses it.
        case waiting
        /// Turn it away now.
        case refused
    }

    private struct Waiter {
        var id: Int
        var until: ContinuousClock.Instant
    }

    let policy: Policy
    private var loggingIn: [String: Int] = [:]
    private var waiting: [String: [Waiter]] = [:]
    /// Connections waiting now, from every address.
    private(set) var waitingCount = 0

    init(policy: Policy = Policy()) {
        self.policy = policy
    }

    /// Connections logging in now, from every address.
    var admitted: Int { loggingIn.values.reduce(0, +) }

    /// Decides on connection `id` from `source`.
    mutating func arrive(_ id: Int, from source: String, now: ContinuousClock.Instant) -> Arrival {
        let count = loggingIn[source, default: 0]
        if count < policy.perSource, waiting[source] == nil {
            loggingIn[source] = count + 1
            return .admitted
        }
        guard waiting[source, default: []].count < policy.waitingPerSource, waitingCount < policy.waitingTotal else { return .refused }
        waiting[source, default: []].append(Waiter(id: id, until: now + policy.wait))
        waitingCount += 1
        return .waiting
    }

    /// A connection from `source` has logged in or ended: its place goes to the longest waiting
    /// connection from that address, if any.
    /// - Returns: the id of the waiting connection admitted now.
    mutating func release(_ source: String) -> Int? {
        guard let count = loggingIn[source] else { return nil }
        if var queue = waiting[source], !queue.isEmpty {
            let next = queue.removeFirst()
            waiting[source] = queue.isEmpty ? nil : queue
            waitingCount -= 1
            return next.id
        }
        loggingIn[source] = count > 1 ? count - 1 : nil
        return nil
    }

    /// When the next waiting connection runs out of time, if any waits.
    var nextDeadline: ContinuousClock.Instant? { waiting.values.compactMap { $0.first?.until }.min() }

    /// The waiting connections whose time is up (no longer waiting).
    mutating func expire(now: ContinuousClock.Instant) -> [Int] {
        var expired: [Int] = []
        for (source, queue) in waiting {
            let (late, onTime) = (queue.filter { $0.until <= now }, queue.filter { $0.until > now })
            guard !late.isEmpty else { continue }
            expired += late.map(\.id)
            waitingCount -= late.count
            waiting[source] = onTime.isEmpty ? nil : onTime
        }
        return expired
    }
}
