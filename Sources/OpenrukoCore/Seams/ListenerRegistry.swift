/// Collects the addresses the daemon's listeners actually bound (port 0 picks a free port),
/// so the daemon can announce `openruko ready ssh=H:P api=H:P router=H:P` once all are up.
package actor ListenerRegistry {
    private var expected: [String]
    private var bound: [String: String] = [:]
    private var waiters: [CheckedContinuation<[String: String], Never>] = []

    /// - Parameter expected: listener names in announcement order (`ssh`, `api`, `router`).
    package init(expected: [String]) {
        self.expected = expected
    }

    /// Records that `name` listens on `address` (`H:P`).
    package func bound(_ name: String, address: String) {
        bound[name] = address
        if isComplete {
            let result = bound
            waiters.forEach { $0.resume(returning: result) }
            waiters.removeAll()
        }
    }

    /// Waits until every expected listener is bound; returns name → address.
    package func waitForAll() async -> [String: String] {
        if isComplete { return bound }
        return await withCheckedContinuation { waiters.append($0) }
    }

    /// The expected names, in order.
    package var names: [String] { expected }

    private var isComplete: Bool { expected.allSatisfy { bound[$0] != nil } }
}
