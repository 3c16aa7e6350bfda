import Foundation
import OpenrukoCore
import Isolation
import Synchronization
import SystemPackage

/// How an attached one-off's window changes reach its PTY: a FIFO in the dyno's instance
/// directory (owned by the app's sandbox user, bound read-only into the sandbox at
/// `OneOffTerminal.resizePath`, or for `run:inside` opened by the joining host shell and
/// inherited as `SandboxJoin.resizeDescriptor`), which openruko holds open for reading and writing so that
/// neither side ever blocks on opening it. Each change is one short `ROWS COLUMNS` line of
/// clamped numbers, written without blocking: when the FIFO is full (the dyno stopped
/// reading) the change is dropped, so a client sending a flood of window changes costs no
/// memory.
///
/// ```swift
/// let channel = try OneOffResizeChannel(directory: instanceDirectory, identity: identity)
/// window.onResize { channel.send($0) }
/// defer { channel.close() }
/// ```
final class OneOffResizeChannel: Sendable {
    /// The FIFO's host path.
    let path: String
    private let descriptor: Mutex<FileDescriptor?>

    /// Creates the FIFO `name` in `directory` and opens it.
    /// - Throws: `internal` when it cannot be made or opened.
    init(directory: String, name: String = "winsize", identity: SandboxIdentity) throws(OpenrukoError) {
        path = directory + "/" + name
        unlink(path)
        guard mkfifo(path, 0o600) == 0 else {
            throw OpenrukoError(.internal, "Cannot make the terminal's resize FIFO \(path) (errno \(errno)).")
        }
        identity.own(path)
        do {
            descriptor = Mutex(try FileDescriptor.open(FilePath(path), .readWrite, options: [.nonBlocking, .closeOnExec, .noFollow]))
        } catch {
            unlink(path)
            throw OpenrukoError(.internal, "Cannot open the terminal's resize FIFO \(path): \(error)")
        }
    }

    /// Tells the dyno's terminal its new size (dropped when the FIFO is full or closed).
    func send(_ size: TerminalSize) {
        let line = Array("\(size.lines) \(size.columns)\n".utf8)
        descriptor.withLock { fd in
            // Shorter than PIPE_BUF: written whole or not at all.
            _ = try? fd?.writeAll(line)
        }
    }

    /// Closes and removes the FIFO.
    func close() {
        descriptor.withLock { fd in
            try? fd?.close()
            fd = nil
        }
        unlink(path)
    }
}
