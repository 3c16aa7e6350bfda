/// Collects the addresses the daemon's listeners actually bound (port 0 picks a free port),
/// so the daemon can announce `openruko ready ssh=H:P api=H:P router=H:P https=H:P` once all are up.
package actor ListenerRegistry {
    private var expected: [String]
    private var bound: [String: String] = [:]
    private var waiters: [Int: CheckedContinuation<[String: String], Never>] = [:]
    private var nextWaiter = 0

    /// - Parameter expected: listener names in announcement order (`ssh`, `api`, `router`).
    package init(expected: [String]) {
        self.expected = expected
    }

    /// Records that `name` listens on `address` (`H:P`).
    package func bound(_ name: String, address: String) {
        bound[name] = address
        if isComplete {
            let result = bound
            waiters.values.forEach { $0.resume(returning: result) }
            waiters.removeAll()
        }
    }

    /// Waits until every expected listener is bound; returns name → address. When the waiting
    /// task is cancelled (a listener failed to bind), returns what is bound so far.
    package func waitForAll() async -> [String: String] {
        if isComplete { return bound }
        nextWaiter += 1
        let id = nextWaiter
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if Task.isCancelled {
                    continuation.resume(returning: bound)
                } else {
                    waiters[id] = continuation
                }
            }
        } onCancel: {
            Task { await self.giveUp(id) }
        }
    }

    /// The expected names, in order.
    package var names: [String] { expected }

    private var isComplete: Bool { expected.allSatisfy { bound[$0] != nil } }

    private func giveUp(_ id: Int) {
        waiters.removeValue(forKey: id)?.resume(returning: bound)
    }
}
