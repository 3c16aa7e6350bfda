import Synchronization

/// A bounded, single-reader queue of byte chunks between two tasks (a client's socket and a
/// one-off dyno's process): `send` suspends while more than `limit` bytes wait, so a fast
/// producer never outruns a slow consumer's memory; `finish` ends the stream once drained;
/// `close` ends it at once and discards what waits (the other side is gone).
///
/// ```swift
/// let channel = ByteChannel()
/// await channel.send(Array("hi".utf8)); channel.finish()
/// while let chunk = await channel.next() { print(chunk) }
/// ```
package final class ByteChannel: Sendable {
    private struct State {
        var chunks: [[UInt8]] = []
        var head = 0
        var buffered = 0
        var finished = false
        var closed = false
        var reader: CheckedContinuation<[UInt8]?, Never>?
        var writers: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())
    /// Bytes that may wait before `send` suspends.
    package let limit: Int

    package init(limit: Int = 1 << 20) {
        self.limit = limit
    }

    /// Queues `bytes`, suspending while the queue is over its limit. Does nothing once the
    /// channel is finished or closed.
    package func send(_ bytes: [UInt8]) async {
        guard !bytes.isEmpty else { return }
        let mustWait: Bool = state.withLock { state in
            guard !state.finished, !state.closed else { return false }
            if let reader = state.reader {
                state.reader = nil
                reader.resume(returning: bytes)
                return false
            }
            state.chunks.append(bytes)
            state.buffered += bytes.count
            return state.buffered > limit
        }
        guard mustWait else { return }
        await withCheckedContinuation { continuation in
            let resumeNow = state.withLock { state in
                if state.closed || state.buffered <= limit { return true }
                state.writers.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    /// No more bytes will come: the reader gets what waits, then nil.
    package func finish() {
        let reader: CheckedContinuation<[UInt8]?, Never>? = state.withLock { state in
            state.finished = true
            guard state.head == state.chunks.count else { return nil }
            defer { state.reader = nil }
            return state.reader
        }
        reader?.resume(returning: nil)
    }

    /// The consumer is gone: drops what waits, wakes every writer, and the reader gets nil.
    package func close() {
        let (reader, writers) = state.withLock { state in
            state.closed = true
            state.finished = true
            state.chunks.removeAll()
            state.head = 0
            state.buffered = 0
            defer {
                state.reader = nil
                state.writers.removeAll()
            }
            return (state.reader, state.writers)
        }
        reader?.resume(returning: nil)
        writers.forEach { $0.resume() }
    }

    /// Whether `close` was called.
    package var isClosed: Bool { state.withLock { $0.closed } }

    /// The next chunk, or nil once finished and drained (or closed, or the task is cancelled).
    package func next() async -> [UInt8]? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<[UInt8]?, Never>) in
                let (now, woken): ([UInt8]??, [CheckedContinuation<Void, Never>]) = state.withLock { state in
                    if state.head < state.chunks.count {
                        let chunk = state.chunks[state.head]
                        state.head += 1
                        state.buffered -= chunk.count
                        if state.head == state.chunks.count {
                            state.chunks.removeAll(keepingCapacity: true)
                            state.head = 0
                        }
                        var woken: [CheckedContinuation<Void, Never>] = []
                        if state.buffered <= limit {
                            woken = state.writers
                            state.writers.removeAll()
                        }
                        return (.some(chunk), woken)
                    }
                    if state.finished || Task.isCancelled { return (.some(nil), []) }
                    state.reader = continuation
                    return (nil, [])
                }
                woken.forEach { $0.resume() }
                if let now { continuation.resume(returning: now) }
            }
        } onCancel: {
            let reader = state.withLock { state in
                defer { state.reader = nil }
                return state.reader
            }
            reader?.resume(returning: nil)
        }
    }
}
