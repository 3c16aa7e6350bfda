import Foundation
package import OpenrukoCore
import Synchronization

/// Counts the requests each backend is serving, so the runtime can retire a dyno without
/// failing requests (`TrafficDrain`). A request counts from the moment the router picks the
/// backend until its response ends (or fails); an upgraded connection stops counting at the 101.
package final class InFlightRequests: TrafficDrain {
    private struct Waiter {
        var token: Int
        var continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var counts: [UUID: Int] = [:]
        var waiters: [UUID: [Waiter]] = [:]
        /// Drains that have not yet registered their continuation, and those cancelled meanwhile.
        var unregistered: Set<Int> = []
        var cancelledTokens: Set<Int> = []
        var nextToken = 0
    }

    private let state = Mutex(State())

    package init() {}

    /// A request to `backend` started.
    func begin(_ backend: UUID) {
        state.withLock { $0.counts[backend, default: 0] += 1 }
    }

    /// A request to `backend` ended; wakes drains when it was the last.
    func end(_ backend: UUID) {
        let woken: [Waiter] = state.withLock { state in
            let count = state.counts[backend, default: 0] - 1
            guard count <= 0 else {
                state.counts[backend] = count
                return []
            }
            state.counts[backend] = nil
            return state.waiters.removeValue(forKey: backend) ?? []
        }
        for waiter in woken { waiter.continuation.resume() }
    }

    /// Requests `backend` is serving now.
    package func count(_ backend: Backend) -> Int {
        state.withLock { $0.counts[backend.id, default: 0] }
    }

    /// Returns when `backend` has no request in flight, or after `timeout`.
    package func drain(_ backend: Backend, timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitUntilIdle(backend.id) }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
    }

    private func waitUntilIdle(_ backend: UUID) async {
        let token = state.withLock { state in
            state.nextToken += 1
            state.unregistered.insert(state.nextToken)
            return state.nextToken
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state in
                    state.unregistered.remove(token)
                    if state.counts[backend, default: 0] == 0 || state.cancelledTokens.remove(token) != nil { return true }
                    state.waiters[backend, default: []].append(Waiter(token: token, continuation: continuation))
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter: Waiter? = state.withLock { state in
                if let index = state.waiters[backend]?.firstIndex(where: { $0.token == token }) {
                    return state.waiters[backend]?.remove(at: index)
                }
                if state.unregistered.contains(token) { state.cancelledTokens.insert(token) }
                return nil
            }
            waiter?.continuation.resume()
        }
    }
}
