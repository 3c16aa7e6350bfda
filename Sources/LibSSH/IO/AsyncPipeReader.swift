package import Foundation
import Glibc

/// The reading end of a pipe for async code (an in-process command's stdin): `read()`
/// suspends until data or end of file arrives, without holding a thread.
///
/// ```swift
/// let input = AsyncPipeReader(descriptor: pipe.readEnd)
/// while let chunk = await input.read() { … }
/// ```
package final class AsyncPipeReader: @unchecked Sendable {
    // @unchecked: every mutable field is only touched on `queue` (a serial queue).
    private let fd: Int32
    private let queue: DispatchQueue
    private var source: (any DispatchSourceRead)?
    private var sourceRunning = false
    private var waiting: CheckedContinuation<Data?, Never>?
    private var atEnd = false
    private var closed = false
    private let chunk: Int

    /// Takes ownership of `descriptor` (made nonblocking here).
    package init(descriptor: Int32, chunk: Int = 256 * 1024) {
        fd = descriptor
        self.chunk = chunk
        queue = DispatchQueue(label: "openruko.pipe-reader")
        Descriptor.setNonBlocking(descriptor)
    }

    /// The next bytes, or nil at end of file. One read at a time.
    package func read() async -> Data? {
        await withCheckedContinuation { (continuation: CheckedContinuation<Data?, Never>) in
            queue.async {
                precondition(self.waiting == nil, "AsyncPipeReader: one read at a time")
                self.waiting = continuation
                self.attempt()
            }
        }
    }

    /// Stops reading and closes the descriptor (a writer then gets EPIPE).
    package func close() {
        queue.async {
            self.atEnd = true
            self.waiting?.resume(returning: nil)
            self.waiting = nil
            self.closeDescriptor()
        }
    }

    private func attempt() {
        guard let continuation = waiting else { return watch(false) }
        if atEnd || closed {
            waiting = nil
            watch(false)
            return continuation.resume(returning: nil)
        }
        var data = Data(count: chunk)
        let count = data.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
            return watch(true)
        }
        waiting = nil
        watch(false)
        guard count > 0 else {
            atEnd = true  // end of file, or an error: either way no more input
            return continuation.resume(returning: nil)
        }
        data.count = count
        continuation.resume(returning: data)
    }

    private func watch(_ on: Bool) {
        if on {
            if source == nil {
                let made = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
                made.setEventHandler { [weak self] in self?.attempt() }
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

    private func closeDescriptor() {
        guard !closed else { return }
        closed = true
        if let source {
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
