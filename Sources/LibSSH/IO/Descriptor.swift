internal import CLibSSH
import Glibc

/// Small operations on raw file descriptors (pipes and sockets the SSH pump moves bytes
/// through). Every unsafe call the front end needs lives here, in the C wrapper.
package enum Descriptor {
    /// Closes `fd`, ignoring errors (EINTR on close must not be retried on Linux).
    package static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }

    /// Makes reads and writes on `fd` return EAGAIN instead of blocking.
    package static func setNonBlocking(_ fd: Int32) {
        _ = CLibSSH_set_nonblocking(fd)
    }

    /// Asks the kernel for a pipe buffer of `bytes` (best effort).
    package static func setPipeSize(_ fd: Int32, bytes: Int) {
        _ = CLibSSH_set_pipe_size(fd, Int32(bytes))
    }

    /// Half-closes a socket: the peer reads EOF, reading from it still works.
    package static func shutdownWrite(_ fd: Int32) {
        _ = Glibc.shutdown(fd, Int32(SHUT_WR))
    }

    /// Writes what fits without blocking.
    /// - Returns: bytes written, 0 when the descriptor would block.
    /// - Throws: `SSHError` when the reader is gone (EPIPE) or another error occurs.
    package static func writeSome(_ fd: Int32, _ bytes: [UInt8], from offset: Int = 0) throws(SSHError) -> Int {
        let result = bytes.withUnsafeBytes { buffer -> Int in
            guard offset < buffer.count, let base = buffer.baseAddress else { return 0 }
            return Glibc.write(fd, base + offset, buffer.count - offset)
        }
        if result >= 0 { return result }
        if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return 0 }
        throw SSHError.system("write")
    }

    /// Reads what is there without blocking.
    /// - Returns: the bytes (empty at end of file), or nil when the descriptor would block.
    /// - Throws: `SSHError` on read errors.
    package static func readSome(_ fd: Int32, maximum: Int) throws(SSHError) -> [UInt8]? {
        var failure: Int32 = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: maximum) { buffer, count in
            let result = Glibc.read(fd, buffer.baseAddress, maximum)
            if result < 0 { failure = errno }
            count = max(result, 0)
        }
        if failure == 0 { return bytes }
        if failure == EAGAIN || failure == EWOULDBLOCK || failure == EINTR { return nil }
        throw SSHError.system("read", errno: failure)
    }
}

/// A pipe created close-on-exec (so concurrently spawned processes never inherit it).
package struct PipePair: Sendable {
    /// The end to read from.
    package let readEnd: Int32
    /// The end to write to.
    package let writeEnd: Int32

    /// Creates a pipe.
    /// - Parameter size: the kernel buffer to ask for, in bytes (nil keeps the default).
    /// - Throws: `SSHError` when the process is out of descriptors.
    package init(size: Int? = nil) throws(SSHError) {
        var fds: [Int32] = [-1, -1]
        guard CLibSSH_pipe_cloexec(&fds) == 0 else { throw SSHError.system("pipe2") }
        readEnd = fds[0]
        writeEnd = fds[1]
        if let size { Descriptor.setPipeSize(writeEnd, bytes: size) }
    }
}

/// A self-pipe that wakes a thread blocked in `Poller.wait` from any thread.
package final class WakeSignal: Sendable {
    /// Poll this for `.readable`.
    package let descriptor: Int32
    private let writeEnd: Int32

    /// - Throws: `SSHError` when the process is out of descriptors.
    package init() throws(SSHError) {
        let pipe = try PipePair()
        descriptor = pipe.readEnd
        writeEnd = pipe.writeEnd
        Descriptor.setNonBlocking(descriptor)
        Descriptor.setNonBlocking(writeEnd)
    }

    deinit {
        Descriptor.close(descriptor)
        Descriptor.close(writeEnd)
    }

    /// Wakes the poller (safe from any thread; coalesces).
    package func signal() {
        _ = try? Descriptor.writeSome(writeEnd, [1])
    }

    /// Consumes pending wake-ups.
    package func drain() {
        while let bytes = try? Descriptor.readSome(descriptor, maximum: 256), !bytes.isEmpty {}
    }
}
