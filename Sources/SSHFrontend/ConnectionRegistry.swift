import Synchronization

/// The live connections, so shutdown can reach them and wait for them.
final class ConnectionRegistry: Sendable {
    private struct State {
        var connections: [ObjectIdentifier: Connection] = [:]
        var deadline: ContinuousClock.Instant?
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    var count: Int { state.withLock { $0.connections.count } }

    func add(_ connection: Connection) {
        let deadline = state.withLock { state in
            state.connections[ObjectIdentifier(connection)] = connection
            return state.deadline
        }
        if let deadline { connection.requestShutdown(deadline: deadline) }
    }

    /// Forgets a connection that ended. Its entry is dropped before any waiter resumes, so when
    /// it held the last reference the connection (and its libssh session) is freed first.
    func remove(_ identifier: ObjectIdentifier) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.connections[identifier] = nil
            guard state.connections.isEmpty else { return [] }
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        waiters.forEach { $0.resume() }
    }

    func requestShutdown(deadline: ContinuousClock.Instant) {
        let all = state.withLock { state in
            state.deadline = deadline
            return Array(state.connections.values)
        }
        all.forEach { $0.requestShutdown(deadline: deadline) }
    }

    func waitUntilEmpty() async {
        await withCheckedContinuation { continuation in
            let done = state.withLock { state in
                if state.connections.isEmpty { return true }
                state.waiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }
}
