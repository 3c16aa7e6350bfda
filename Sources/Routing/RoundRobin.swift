package import Foundation
import Synchronization

/// Hands out each app's backends in turn (one counter per app, shared by every connection).
package final class RoundRobin: Sendable {
    private let counters = Mutex<[UUID: UInt]>([:])

    package init() {}

    /// The index of the backend to use next among `count` backends of `app`.
    package func next(_ app: UUID, count: Int) -> Int {
        guard count > 1 else { return 0 }
        let turn = counters.withLock { counters in
            let turn = counters[app, default: 0]
            counters[app] = turn &+ 1
            return turn
        }
        return Int(turn % UInt(count))
    }
}
