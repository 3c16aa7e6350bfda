import Foundation
import OpenrukoCore
import Synchronization

/// One app's log inside the daemon: lines waiting for the writer thread (bounded; producers
/// never wait), and what has been written (the end position, the newest bytes in memory,
/// readers waiting for more).
final class AppLog: Sendable {
    let appID: UUID
    let directory: LogDirectory
    private let pending = Mutex(Pending())
    private let feed: Mutex<Feed>

    struct Pending {
        var bytes: [UInt8] = []
        var lines = 0
        var dropped = 0
        var droppedSince: Date?
        /// Already in the writer's queue.
        var queued = false
        /// Taken by the writer thread and not yet published.
        var writing = false
        /// Readers waiting until what is pending now is on disk.
        var flushWaiters: [CheckedContinuation<Void, Never>] = []
    }

    /// Newest written bytes of one append, kept for live readers.
    struct Chunk {
        var start: LogPosition
        var data: Data
        var lines: Int
    }

    struct Feed {
        /// The end of what is on disk; nil until first needed.
        var end: LogPosition?
        /// Lines written since the daemon started (a reader's `seq` counts the same way).
        var written = 0
        /// Lines written per generation since the daemon started.
        var generationLines: [Int: Int] = [:]
        /// The size of generations that were rotated away from (their last byte).
        var finalSizes: [Int: Int] = [:]
        var chunks: [Chunk] = []
        var cachedBytes = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter = 0
    }

    private let cacheLimit: Int

    /// - Parameter cacheLimit: bytes of newest lines kept in memory for live readers.
    init(appID: UUID, directory: LogDirectory, cacheLimit: Int) {
        self.appID = appID
        self.directory = directory
        self.cacheLimit = cacheLimit
        feed = Mutex(Feed())
    }

    // MARK: Producers

    /// Queues formatted lines (each ending in a newline) for the writer; drops and counts the
    /// lines that do not fit in `capacity` bytes.
    /// - Returns: true when the app must be put in the writer's queue.
    func append(_ lines: [String], capacity: Int) -> Bool {
        pending.withLock { pending in
            for line in lines {
                if pending.bytes.count + line.utf8.count + 1 > capacity {
                    if pending.dropped == 0 { pending.droppedSince = Date() }
                    pending.dropped += 1
                    continue
                }
                pending.bytes.append(contentsOf: line.utf8)
                pending.bytes.append(UInt8(ascii: "\n"))
                pending.lines += 1
            }
            guard !pending.queued else { return false }
            pending.queued = true
            return true
        }
    }

    // MARK: Writer thread

    /// Writes what is pending (and a notice of what was dropped), publishes it to readers.
    func flush(with appender: LogAppender, limit: Int) {
        let (bytes, lines, dropped, since, flushWaiters) = pending.withLock { pending in
            let taken = (pending.bytes, pending.lines, pending.dropped, pending.droppedSince, pending.flushWaiters)
            pending = Pending()
            pending.writing = true
            return taken
        }
        var data = Data(bytes)
        var count = lines
        if dropped > 0 {
            data.append(contentsOf: Notices.bufferOverflow(appID: appID, dropped: dropped, since: since ?? Date()).utf8)
            data.append(UInt8(ascii: "\n"))
            count += 1
        }
        // A burst larger than a generation goes in pieces, so the app stays within its limit
        // (rotation drops the oldest) while live readers still see every line.
        for (piece, lines) in Self.pieces(of: data, lines: count, size: max(limit / 2, 4096)) {
            do {
                publish(try appender.append(piece, limit: limit), data: piece, lines: lines)
            } catch {
                // The disk refused: these lines are lost; say so with the next write.
                pending.withLock { pending in
                    if pending.dropped == 0 { pending.droppedSince = Date() }
                    pending.dropped += lines
                }
            }
        }
        // Readers that asked while this write was under way wait for it too (and for the
        // next write, when more lines came meanwhile).
        let late = pending.withLock { pending -> [CheckedContinuation<Void, Never>] in
            pending.writing = false
            guard !pending.queued else { return [] }
            defer { pending.flushWaiters.removeAll() }
            return pending.flushWaiters
        }
        for waiter in flushWaiters + late { waiter.resume() }
    }

    /// `data` (whole lines, `lines` of them) cut at line ends into pieces of about `size`
    /// bytes at most (a single longer line is a piece of its own).
    static func pieces(of data: Data, lines: Int, size: Int) -> [(Data, Int)] {
        guard data.count > size else { return data.isEmpty ? [] : [(data, lines)] }
        var pieces: [(Data, Int)] = []
        var start = data.startIndex
        while start < data.endIndex {
            var end = min(start + size, data.endIndex)
            if end < data.endIndex {
                if let newline = data[start..<end].lastIndex(of: UInt8(ascii: "\n")) {
                    end = newline + 1
                } else {
                    end = (data[end...].firstIndex(of: UInt8(ascii: "\n")) ?? data.endIndex - 1) + 1
                }
            }
            let piece = data.subdata(in: start..<end)
            pieces.append((piece, piece.reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }))
            start = end
        }
        return pieces
    }

    private func publish(_ result: LogAppender.Result, data: Data, lines: Int) {
        let waiters = feed.withLock { feed in
            if let previous = result.previous { feed.finalSizes[previous.generation] = previous.offset }
            feed.written += lines
            feed.generationLines[result.start.generation, default: 0] += lines
            feed.chunks.append(Chunk(start: result.start, data: data, lines: lines))
            feed.cachedBytes += data.count
            feed.end = result.end
            if let next = result.rotatedTo {
                feed.finalSizes[result.end.generation] = result.end.offset
                feed.end = LogPosition(generation: next, offset: 0)
            }
            while feed.cachedBytes > cacheLimit, feed.chunks.count > 1 {
                feed.cachedBytes -= feed.chunks.removeFirst().data.count
            }
            defer { feed.waiters.removeAll() }
            return Array(feed.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    // MARK: Readers

    /// Returns once every line queued before the call is on disk.
    func flushed() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = pending.withLock { pending -> Bool in
                guard pending.queued || pending.writing else { return true }
                pending.flushWaiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    /// What a reader at `position` can read now.
    struct Snapshot {
        var end: LogPosition
        var written: Int
        /// Bytes starting at the position, from memory, and how many lines they hold.
        var cached: (data: Data, lines: Int)?
        /// Set when the position is the last byte of a rotated generation.
        var nextGeneration: Int?
        /// Lines written in each generation (for counting what a slow reader lost).
        var generationLines: [Int: Int]
    }

    /// The end of the log, and the bytes after `position` when they are still in memory.
    func snapshot(at position: LogPosition?) -> Snapshot {
        let known = feed.withLock { $0.end }
        if known == nil {
            let end = directory.end()
            feed.withLock { feed in if feed.end == nil { feed.end = end } }
        }
        return feed.withLock { feed in
            var snapshot = Snapshot(end: feed.end!, written: feed.written, generationLines: feed.generationLines)
            guard let position else { return snapshot }
            if let size = feed.finalSizes[position.generation], size == position.offset, position.generation < snapshot.end.generation {
                snapshot.nextGeneration = position.generation + 1
            }
            if let index = Self.chunk(containing: position, in: feed.chunks) {
                let chunk = feed.chunks[index]
                let skip = position.offset - chunk.start.offset
                // A slice shares the chunk's storage: many readers, no copies.
                let data = chunk.data[(chunk.data.startIndex + skip)...]
                let lines = skip == 0 ? chunk.lines : data.reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
                snapshot.cached = (data, lines)
            }
            return snapshot
        }
    }

    private static func chunk(containing position: LogPosition, in chunks: [Chunk]) -> Int? {
        var low = 0
        var high = chunks.count - 1
        while low <= high {
            let middle = (low + high) / 2
            let chunk = chunks[middle]
            if position < chunk.start {
                high = middle - 1
            } else if position.generation == chunk.start.generation && position.offset < chunk.start.offset + chunk.data.count {
                return middle
            } else {
                low = middle + 1
            }
        }
        return nil
    }

    /// Waits until the end moves past `end`, or the task is cancelled.
    func waitForChange(from end: LogPosition) async {
        let id = feed.withLock { feed in
            defer { feed.nextWaiter += 1 }
            return feed.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = feed.withLock { feed -> Bool in
                    if feed.end != end || Task.isCancelled { return true }
                    feed.waiters[id] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            feed.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }
}
