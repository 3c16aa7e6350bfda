import Foundation
package import OpenrukoCore
import Synchronization

/// The daemon's log until the log store exists: the last lines of each app in memory, live
/// readers fed as lines arrive. Emitting takes a short lock and never waits for a reader (a
/// slow reader's buffer drops its oldest lines, and the drop is counted).
package final class RecentLogs: LogSink, LogReader {
    private struct State {
        var lines: [UUID: [LogLine]] = [:]
        var readers: [UUID: (appID: UUID, query: LogQuery, continuation: AsyncStream<String>.Continuation)] = [:]
        var dropped = 0
    }

    private let state = Mutex(State())
    private let perApp: Int

    /// - Parameter perApp: how many lines to keep per app (Heroku keeps 1,500).
    package init(perApp: Int = 1500) {
        self.perApp = perApp
    }

    package func emit(_ line: LogLine) {
        state.withLock { state in
            state.lines[line.appID, default: []].append(line)
            // Trimmed in batches, so a chatty dyno costs O(1) per line.
            if state.lines[line.appID]!.count >= 2 * perApp { state.lines[line.appID]!.removeFirst(perApp) }
            for reader in state.readers.values where reader.appID == line.appID && reader.query.matches(line) {
                if case .dropped = reader.continuation.yield(line.formatted) { state.dropped += 1 }
            }
        }
    }

    package func read(app: App, query: LogQuery) -> AsyncStream<String> {
        let (stream, continuation) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingNewest(10_000))
        let id = UUID()
        state.withLock { state in
            let recent = (state.lines[app.id] ?? []).suffix(perApp).filter { query.matches($0) }.suffix(query.lines)
            for line in recent { continuation.yield(line.formatted) }
            if query.tail {
                state.readers[id] = (app.id, query, continuation)
            } else {
                continuation.finish()
            }
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.readers.removeValue(forKey: id) }
        }
        return stream
    }

    /// Lines a slow reader lost.
    package var droppedLines: Int { state.withLock { $0.dropped } }
}
