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
    private let fd: Int32
    private let queue: DispatchQueue
    /// Chunks not yet written, in order; `offset` bytes of the first are already out.
    private var pending: [Data] = []
    private var offset = 0
    private var pendingBytes = 0
    private var source: (any DispatchSourceWrite)?
    private var sourceRunning = false
    private var closed = false
    private var broken = false
    private var senders: [CheckedContinuation<Void, any Error>] = []
    private var finishers: [CheckedContinuation<Void, Never>] = []
    /// Queue length over which `send` suspends.
    private let limit: Int

    /// The reader went away.
    package struct Closed: Error {}

    /// Takes ownership of `descriptor` (made nonblocking here).
    package init(descriptor: Int32, limit: Int = 1 << 20) {
        fd = descriptor
        self.limit = limit
        queue = DispatchQueue(label: "openruko.pipe-writer")
        Descriptor.setNonBlocking(descriptor)
    }

    /// Queues bytes without waiting (ordered with `send`). Output of a reader that stops
    /// reading accumulates; use `send` for large or endless output.
    package func enqueue(_ data: Data) {
        queue.async { self.append(data) }
    }

    /// Writes bytes, suspending while more than the limit is queued.
    /// - Throws: `Closed` when the reader went away.
    package func send(_ data: Data) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            queue.async {
                guard !self.broken, !self.closed else { return continuation.resume(throwing: Closed()) }
                self.append(data)
                if self.broken {
                    continuation.resume(throwing: Closed())
                } else if self.pendingBytes <= self.limit {
                    continuation.resume()
                } else {
                    self.senders.append(continuation)
                }
            }
        }
    }

    /// Writes what is queued, then closes the descriptor (the reader sees EOF). Returns at
    /// once if the reader went away.
    package func finish() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async {
                if self.pendingBytes == 0 || self.broken || self.closed {
                    self.close()
                    continuation.resume()
                } else {
                    self.finishers.append(continuation)
                }
            }
        }
    }

    private func append(_ data: Data) {
        guard !broken, !closed, !data.isEmpty else { return }
        pending.append(data)
        pendingBytes += data.count
        flush()
    }

    /// Writes queued chunks straight from their storage (no copy into a joined buffer).
    private func flush() {
        while let first = pending.first {
            let written = first.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
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
            if broken { sender.resume(throwing: Closed()) } else { sender.resume() }
        }
    }

    private func watch(_ on: Bool) {
        if on {
            if source == nil {
                let made = DispatchSource.makeWriteSource(fileDescriptor: fd, queue: queue)
                made.setEventHandler { [weak self] in self?.flush() }
                source = made
                made.activate()
                sourceRunning = true
            } else if !sourceRunning {
                source?.resume()
                sourceRunning = true
            }
        } else if sourceRunning {
            source?.suspend()
            sourceRunning = false
        }
    }

    private func close() {
        guard !closed else { return }
        closed = true
        if let source {
            // A suspended source must be resumed before it is cancelled; the descriptor is
            // closed only once dispatch has stopped watching it.
            let fd = self.fd
            source.setCancelHandler { Descriptor.close(fd) }
            if !sourceRunning { source.resume() }
            source.cancel()
            self.source = nil
        } else {
            Descriptor.close(fd)
        }
    }

    deinit {
        if !closed {
            if let source {
                let fd = self.fd
                source.setCancelHandler { Descriptor.close(fd) }
                if !sourceRunning { source.resume() }
                source.cancel()
            } else {
                Descriptor.close(fd)
            }
        }
    }
}
