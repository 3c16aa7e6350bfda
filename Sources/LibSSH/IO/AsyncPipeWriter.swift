package import Foundation
import Glibc

/// The writing end of a pipe for async code (an in-process command's stdout or stderr):
/// nonblocking writes, a queue for what does not fit, and suspension while the queue is
/// over a limit, so a slow reader slows the writer instead of filling memory.
///
/// ```swift
/// let out = AsyncPipeWriter(descriptor: pipe.writeEnd)
/// try await out.send(Data("hello\n".utf8))
/// await out.finish()   // flushes, then closes: the reader sees EOF
/// ```
package final class AsyncPipeWriter: @unchecked Sendable {
    // @unchecked: every mutable field is only touched on `queue` (a serial queue).
    private let queue: DispatchQueue
    private var descriptor: DescriptorWatch!
    /// Chunks not yet written, in order; `offset` bytes of the first are already out.
    private var pending: [Data] = []
    private var offset = 0
    private var pendingBytes = 0
    private var broken = false
    /// Suspended `send`s, by number, and the numbers of those cancelled before they queued.
    private var senders: [(number: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
    private var sendNumber: UInt64 = 0
    private var cancelledSends: Set<UInt64> = []
    private var finishers: [CheckedContinuation<Void, Never>] = []
    /// Queue length over which `send` suspends.
    private let limit: Int

    /// The reader went away.
    package struct Closed: Error {}

    /// Takes ownership of `descriptor` (made nonblocking here).
    package init(descriptor: Int32, limit: Int = 1 << 20) {
        self.limit = limit
        queue = DispatchQueue(label: "openruko.pipe-writer")
        Descriptor.setNonBlocking(descriptor)
        self.descriptor = DescriptorWatch(fd: descriptor, queue: queue, direction: .write) { [weak self] in self?.flush() }
    }

    /// Queues bytes without waiting (ordered with `send`). Output of a reader that stops
    /// reading accumulates; use `send` for large or endless output.
    package func enqueue(_ data: Data) {
        queue.async { self.append(data) }
    }

    /// Writes bytes, suspending while more than the limit is queued.
    /// - Throws: `Closed` when the reader went away; `CancellationError` when the calling task
    ///   is cancelled while it waits (a command whose client is gone must be able to end).
    package func send(_ data: Data) async throws {
        let number = queue.sync {
            sendNumber &+= 1
            return sendNumber
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                queue.async {
                    if self.cancelledSends.remove(number) != nil { return continuation.resume(throwing: CancellationError()) }
                    guard !self.broken, !self.descriptor.closed else { return continuation.resume(throwing: Closed()) }
                    self.append(data)
                    if self.broken {
                        continuation.resume(throwing: Closed())
                    } else if self.pendingBytes <= self.limit {
                        continuation.resume()
                    } else {
                        self.senders.append((number, continuation))
                    }
                }
            }
        } onCancel: {
            queue.async {
                guard let index = self.senders.firstIndex(where: { $0.number == number }) else {
                    self.cancelledSends.insert(number)  // not queued yet: refused when it is
                    return
                }
                self.senders.remove(at: index).continuation.resume(throwing: CancellationError())
            }
        }
    }

    /// Writes what is queued, then closes the descriptor (the reader sees EOF). Returns at
    /// once if the reader went away.
    package func finish() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async {
                if self.pendingBytes == 0 || self.broken || self.descriptor.closed {
                    self.close()
                    continuation.resume()
                } else {
                    self.finishers.append(continuation)
                }
            }
        }
    }

    /// Drops what is queued and closes the descriptor now (a stopped command whose reader may
    /// never read again); waiting `send`s and `finish`es return.
    package func abandon() {
        queue.async {
            self.pending.removeAll()
            self.offset = 0
            self.pendingBytes = 0
            self.broken = true
            self.releaseSenders()
            let waiting = self.finishers
            self.finishers.removeAll()
            self.close()
            waiting.forEach { $0.resume() }
        }
    }

    private func append(_ data: Data) {
        guard !broken, !descriptor.closed, !data.isEmpty else { return }
        pending.append(data)
        pendingBytes += data.count
        flush()
    }

    /// Writes queued chunks straight from their storage (no copy into a joined buffer).
    private func flush() {
        while let first = pending.first {
            let written = first.withUnsafeBytes { Glibc.write(descriptor.fd, $0.baseAddress! + offset, $0.count - offset) }
            if written > 0 {
                offset += written
                pendingBytes -= written
                if offset == first.count {
                    pending.removeFirst()
                    offset = 0
                }
                continue
            }
            if written < 0 && errno == EINTR { continue }
            if written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                watch(true)
                releaseSenders()
                return
            }
            broken = true
            pending.removeAll()
            offset = 0
            pendingBytes = 0
            break
        }
        watch(false)
        releaseSenders()
        if pendingBytes == 0 || broken {
            let waiting = finishers
            finishers.removeAll()
            if !waiting.isEmpty { close() }
            waiting.forEach { $0.resume() }
        }
    }

    private func releaseSenders() {
        guard broken || pendingBytes <= limit else { return }
        let waiting = senders
        senders.removeAll()
        for sender in waiting {
            if broken { sender.continuation.resume(throwing: Closed()) } else { sender.continuation.resume() }
        }
    }

    private func watch(_ on: Bool) {
        descriptor.watch(on)
    }

    private func close() {
        descriptor.close()
    }
}
