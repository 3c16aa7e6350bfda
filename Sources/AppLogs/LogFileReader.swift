import Foundation
package import OpenrukoCore

/// The log reader of processes other than the daemon (`openruko admin logs`): reads the
/// app's files directly, and tails them by polling, whether or not the daemon runs.
package struct LogFileReader: LogReader {
    package let layout: DataLayout
    /// How often a tail looks for new lines.
    package let interval: Duration

    package init(layout: DataLayout, interval: Duration = .milliseconds(100)) {
        self.layout = layout
        self.interval = interval
    }

    package func read(app: App, query: LogQuery) -> AsyncStream<String> {
        let subscription = FileSubscription(
            appID: app.id, directory: LogDirectory(layout: layout, appID: app.id), query: query, interval: interval)
        return AsyncStream(unfolding: { await subscription.next() })
    }
}

/// One reader of the files: the last lines, then new ones as they appear.
final class FileSubscription: @unchecked Sendable {
    // @unchecked: used by one consumer at a time (the stream's iterator).
    let appID: UUID
    let directory: LogDirectory
    let query: LogQuery
    let interval: Duration
    private var cursor: LogCursor?
    private var ready: [String] = []
    private var readyIndex = 0

    init(appID: UUID, directory: LogDirectory, query: LogQuery, interval: Duration) {
        self.appID = appID
        self.directory = directory
        self.query = query
        self.interval = interval
    }

    func next() async -> String? {
        if cursor == nil {
            let end = directory.end()
            cursor = LogCursor(directory: directory, position: end)
            ready = LogHistory.lines(in: directory, before: end, count: query.lines, matching: query)
        }
        while readyIndex >= ready.count {
            guard query.tail, let cursor, !Task.isCancelled else { return nil }
            ready.removeAll(keepingCapacity: true)
            readyIndex = 0
            let batch = cursor.read(until: nil)
            if !batch.skipped.isEmpty {
                ready.append(Notices.tailOverflow(appID: appID, dropped: 0, since: Date()))
            }
            for line in batch.lines where query.matches(line) { ready.append(String(line)) }
            if ready.isEmpty {
                do {
                    try await Task.sleep(for: interval)
                } catch {
                    return nil
                }
            }
        }
        defer { readyIndex += 1 }
        return ready[readyIndex]
    }
}
