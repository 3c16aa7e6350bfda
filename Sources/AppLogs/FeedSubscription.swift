import Foundation
import OpenrukoCore

/// One reader of an app's log inside the daemon: first the last lines before the end, then
/// (when tailing) every new line, read from memory while it is recent and from the files
/// when the reader has fallen behind. A reader costs the producers nothing: it pulls.
final class FeedSubscription: @unchecked Sendable {
    // @unchecked: used by one consumer at a time (the stream's iterator or a drain's task).
    let log: AppLog
    let query: LogQuery
    private var cursor: LogCursor?
    private var position: LogPosition?
    private var ready: [String] = []
    private var readyIndex = 0
    /// How many bytes of recent lines one `nextBatch` gathers from memory at most.
    static let batchBytes = 256 << 10
    /// Lines read (counted like `AppLog.Feed.written`), to tell how far behind the reader is.
    private(set) var seq = 0

    init(log: AppLog, query: LogQuery) {
        self.log = log
        self.query = query
    }

    /// Where the reader started (the end of the log then).
    private(set) var started: LogPosition?

    /// Starts at the end of the log as it is once pending lines are written, returning the
    /// last `query.lines` lines before it.
    func start() async -> [String] {
        await log.flushed()
        let snapshot = log.snapshot(at: nil)
        position = snapshot.end
        started = snapshot.end
        seq = snapshot.written
        return LogHistory.lines(in: log.directory, before: snapshot.end, count: query.lines, matching: query)
    }

    /// How many lines the log has that this reader has not read yet.
    var behind: Int { log.snapshot(at: nil).written - seq }

    /// The next line: the history first, then (when tailing) new lines, waiting for them;
    /// nil at the end (or once cancelled).
    func next() async -> String? {
        if position == nil {
            ready = await start()
            readyIndex = 0
        }
        while readyIndex >= ready.count {
            ready.removeAll(keepingCapacity: true)
            readyIndex = 0
            guard let batch = await nextBatch() else { return nil }
            ready = batch
        }
        defer { readyIndex += 1 }
        return ready[readyIndex]
    }

    /// The lines written since the last call (at least one), waiting when there are none and
    /// the query tails; nil at the end (or once cancelled).
    func nextBatch() async -> [String]? {
        guard query.tail, var position else { return nil }
        defer { self.position = position }
        while !Task.isCancelled {
            let snapshot = log.snapshot(at: position)
            if position < snapshot.end {
                var lines: [String] = []
                if var cached = snapshot.cached {
                    // Every recent write still in memory, up to about `batchBytes`, in one go.
                    var data = Data()
                    while true {
                        position.offset += cached.data.count
                        seq += cached.lines
                        data.append(cached.data)
                        guard data.count < Self.batchBytes, position < snapshot.end,
                            let more = log.snapshot(at: position).cached
                        else { break }
                        cached = more
                    }
                    lines = split(data)
                } else if let next = snapshot.nextGeneration {
                    position = LogPosition(generation: next, offset: 0)
                    continue
                } else {
                    let before = position
                    lines = readFiles(from: &position, until: snapshot.end, generationLines: snapshot.generationLines)
                    if position == before && lines.isEmpty {
                        // Nothing readable yet (a file another process is still creating).
                        guard query.tail else { return nil }
                        await log.waitForChange(from: snapshot.end)
                        continue
                    }
                }
                if !lines.isEmpty { return lines }
                continue
            }
            guard query.tail else { return nil }
            await log.waitForChange(from: snapshot.end)
        }
        return nil
    }

    /// Reads everything written so far without waiting, keeping only the newest `keep`
    /// lines; returns them and how many older ones were passed over (read, or lost with a
    /// generation that was deleted first).
    func catchUp(keeping keep: Int) -> (lines: [String], passed: Int) {
        guard var position else { return ([], 0) }
        defer { self.position = position }
        var kept: [String] = []
        var passed = 0
        func trim() {
            guard kept.count > keep else { return }
            passed += kept.count - keep
            kept.removeFirst(kept.count - keep)
        }
        while true {
            let snapshot = log.snapshot(at: position)
            guard position < snapshot.end else { break }
            let cursor = cursor(at: position)
            let batch = cursor.read(until: snapshot.end, maximum: 256 << 10)
            position = cursor.lineEnd
            let lost = batch.skipped.reduce(0) { $0 + (snapshot.generationLines[$1] ?? 0) }
            seq += batch.lines.count + lost
            passed += lost
            for line in batch.lines where query.matches(line) { kept.append(String(line)) }
            if kept.count > 2 * keep + 1024 { trim() }
            if batch.lines.isEmpty && batch.skipped.isEmpty { break }
        }
        trim()
        return (kept, passed)
    }

    private func readFiles(from position: inout LogPosition, until end: LogPosition, generationLines: [Int: Int]) -> [String] {
        let cursor = cursor(at: position)
        let batch = cursor.read(until: end)
        position = cursor.lineEnd
        seq += batch.lines.count
        var lines: [String] = []
        if !batch.skipped.isEmpty {
            let lost = batch.skipped.reduce(0) { $0 + (generationLines[$1] ?? 0) }
            seq += lost
            lines.append(Notices.tailOverflow(appID: log.appID, dropped: lost, since: Date()))
        }
        for line in batch.lines where query.matches(line) { lines.append(String(line)) }
        return lines
    }

    private func cursor(at position: LogPosition) -> LogCursor {
        if let cursor {
            cursor.seek(to: position)
            return cursor
        }
        let cursor = LogCursor(directory: log.directory, position: position)
        self.cursor = cursor
        return cursor
    }

    private func split(_ data: Data) -> [String] {
        let text = String(decoding: data, as: UTF8.self)
        var lines: [String] = []
        for line in text.split(separator: "\n") where query.matches(line) { lines.append(String(line)) }
        return lines
    }
}
