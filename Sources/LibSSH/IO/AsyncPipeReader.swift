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
    private let queue: DispatchQueue
    private var descriptor: DescriptorWatch!
    private var waiting: CheckedContinuation<Data?, Never>?
    private var atEnd = false
    private let chunk: Int

    /// Takes ownership of `descriptor` (made nonblocking here).
    package init(descriptor: Int32, chunk: Int = 256 * 1024) {
        self.chunk = chunk
        queue = DispatchQueue(label: "openruko.pipe-reader")
        Descriptor.setNonBlocking(descriptor)
        self.descriptor = DescriptorWatch(fd: descriptor, queue: queue, direction: .read) { [weak self] in self?.attempt() }
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
            self.descriptor.close()
        }
    }

    private func attempt() {
        guard let continuation = waiting else { return watch(false) }
        if atEnd || descriptor.closed {
            waiting = nil
            watch(false)
            return continuation.resume(returning: nil)
        }
        var data = Data(count: chunk)
        let count = data.withUnsafeMutableBytes { Glibc.read(descriptor.fd, $0.baseAddress, $0.count) }
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
        descriptor.watch(on)
    }
}
