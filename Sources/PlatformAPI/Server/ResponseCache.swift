import Foundation
import Synchronization

/// Encoded JSON bodies of expensive lists (an app's releases), kept while the data they show
/// is unchanged: each entry is stored under a key that includes a revision of that data
/// (`Platform.releaseListRevision`), so a change simply stops matching. Bounded by total
/// size; the oldest entries go first.
final class ResponseCache: Sendable {
    struct Entry: Sendable {
        var body: Data
        var etag: String
        var headers: [(String, String)]
        var isPartial: Bool
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var order: [String] = []
        var bytes = 0
    }

    private let state = Mutex(State())
    /// The most bytes kept.
    let capacity: Int

    init(capacity: Int = 32 << 20) {
        self.capacity = capacity
    }

    func get(_ key: String) -> Entry? {
        state.withLock { $0.entries[key] }
    }

    func put(_ key: String, _ entry: Entry) {
        guard entry.body.count <= capacity / 4 else { return }
        state.withLock { state in
            if let old = state.entries.updateValue(entry, forKey: key) {
                state.bytes -= old.body.count
            } else {
                state.order.append(key)
            }
            state.bytes += entry.body.count
            while state.bytes > capacity, !state.order.isEmpty {
                let oldest = state.order.removeFirst()
                if let removed = state.entries.removeValue(forKey: oldest) { state.bytes -= removed.body.count }
            }
        }
    }
}
