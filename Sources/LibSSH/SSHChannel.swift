internal import CLibSSH
import Glibc

/// Requests and events on one channel, delivered from inside `SSHEvent.process` (see
/// `SSHSessionDelegate` for the rules: record, don't act).
package protocol SSHChannelDelegate: AnyObject {
    /// `exec COMMAND`; return true to accept (then run it and send an exit status).
    func channel(_ channel: SSHChannel, exec command: String) -> Bool
    /// `shell` (an interactive login); return true to accept.
    func channelRequestsShell(_ channel: SSHChannel) -> Bool
    /// `env NAME=VALUE`; return true to accept.
    func channel(_ channel: SSHChannel, environment name: String, value: String) -> Bool
    /// `pty-req`: a terminal of `columns`×`rows` characters whose type is `term` (as the client
    /// sent it: validate before use); return true to accept.
    func channel(_ channel: SSHChannel, terminal term: String, columns: Int, rows: Int) -> Bool
    /// `window-change`: the client's terminal is now `columns`×`rows` characters.
    func channel(_ channel: SSHChannel, windowChangedTo columns: Int, rows: Int)
    /// The client typed Ctrl-C (a 0x03 byte) while `watchesInterrupt` is set.
    func channelReceivedInterrupt(_ channel: SSHChannel)
    /// The client will send no more data.
    func channelReceivedEOF(_ channel: SSHChannel)
    /// The client closed the channel.
    func channelClosed(_ channel: SSHChannel)
}

/// One channel (an exec session or a forward), owning one libssh `ssh_channel`, and the
/// byte pump between it and descriptors (a child's pipes, a socket).
///
/// Client → descriptor: libssh offers incoming data to a callback that writes it to the
/// `input` descriptor without blocking and reports how much it took; the rest stays in
/// libssh's channel buffer, which holds back the client's window (backpressure, P1). When
/// the descriptor becomes writable again, `flushInput` moves the held bytes in order.
/// Descriptor → client: `send(from:)` reads at most the client's window, so a channel write
/// never waits (P2).
package final class SSHChannel {
    /// Where client data goes.
    package enum Input: Sendable, Equatable {
        /// Not connected yet: hold the data (the client is throttled by its window).
        case hold
        /// Write to this nonblocking descriptor.
        case descriptor(Int32)
        /// Nobody reads any more: drop what arrives.
        case discard
    }

    /// How far `flushInput` got.
    package enum Flush: Sendable, Equatable {
        /// Everything held was written.
        case drained
        /// The descriptor is full; wait until it is writable.
        case blocked
    }

    /// What `send(from:)` found.
    package enum Transfer: Sendable, Equatable {
        /// Moved this many bytes to the client.
        case moved(Int)
        /// The descriptor has nothing now.
        case wouldBlock
        /// The client's window is closed; wait for it to grow.
        case windowClosed
        /// The descriptor reached end of file.
        case endOfFile
        /// The channel or the descriptor failed.
        case failed
    }

    private let handle: ssh_channel
    private let session: SSHSession
    private let callbacks: UnsafeMutablePointer<ssh_channel_callbacks_struct>
    /// Receives requests and events.
    package weak var delegate: (any SSHChannelDelegate)?

    /// Where client data goes (set `.descriptor` once the program runs).
    package var input: Input = .hold
    /// Whether `send(from:stderr:)` writes each `\n` as `\r\n`, as a terminal's `onlcr` does:
    /// for a program without a terminal of its own on a channel whose client has one (its
    /// terminal is raw, so a bare line feed would not return the cursor).
    package var translatesNewlines = false
    /// Whether client data is watched for Ctrl-C (0x03), reported to the delegate (the data
    /// still goes to `input`): for a program without a terminal of its own on a channel whose
    /// client has one (its terminal is raw, so Ctrl-C arrives as a byte, not as SIGINT to ssh).
    package var watchesInterrupt = false
    /// Whether client data is waiting in libssh or in `remainder` (not yet in `input`).
    package private(set) var hasHeldInput = false
    private var heldInLibssh = false
    /// Bytes taken out of libssh but not yet written to `input`, in order.
    private var remainder: [UInt8] = []
    private var remainderOffset = 0
    private var buffer: UnsafeMutableRawPointer?
    /// Bytes read for stdout (0) and stderr (1) that libssh did not take yet.
    private var unsent: [[UInt8]] = [[], []]
    private static let bufferSize = 256 * 1024

    init(session: SSHSession, takingOwnership handle: ssh_channel) {
        self.handle = handle
        self.session = session
        callbacks = .allocate(capacity: 1)
        callbacks.initialize(to: ssh_channel_callbacks_struct())
        CLibSSH_channel_callbacks_init(callbacks)
        callbacks.pointee.userdata = Unmanaged.passUnretained(self).toOpaque()
        callbacks.pointee.channel_data_function = channelData
        callbacks.pointee.channel_eof_function = channelEOF
        callbacks.pointee.channel_close_function = channelClose
        callbacks.pointee.channel_exec_request_function = channelExec
        callbacks.pointee.channel_shell_request_function = channelShell
        callbacks.pointee.channel_env_request_function = channelEnvironment
        callbacks.pointee.channel_pty_request_function = channelTerminal
        callbacks.pointee.channel_pty_window_change_function = channelWindowChange
        // No subsystem, x11 or agent callbacks: libssh refuses those requests.
        ssh_set_channel_callbacks(handle, callbacks)
    }

    deinit {
        ssh_remove_channel_callbacks(handle, callbacks)
        ssh_channel_free(handle)
        callbacks.deinitialize(count: 1)
        callbacks.deallocate()
        buffer?.deallocate()
    }

    func retainedHandleForLibssh() -> ssh_channel { handle }

    // MARK: - State

    /// Whether the channel is open (not closed by either side).
    package var isOpen: Bool { ssh_channel_is_open(handle) != 0 }
    /// How many bytes the client accepts now.
    package var window: Int { Int(ssh_channel_window_size(handle)) }

    // MARK: - Replies

    /// Sends `exit-status` (send it before `sendEOF`/`close`, RFC 4254 §6.10).
    package func sendExitStatus(_ status: Int32) {
        _ = ssh_channel_request_send_exit_status(handle, status)
    }

    /// Tells the client no more data follows.
    package func sendEOF() {
        _ = ssh_channel_send_eof(handle)
    }

    /// Closes the channel.
    package func close() {
        _ = ssh_channel_close(handle)
    }

    /// Writes text to the client's stderr stream (short messages; may be cut at the window).
    package func writeError(_ text: String) {
        var bytes = Array(text.utf8)
        let count = min(bytes.count, window)
        guard count > 0 else { return }
        _ = ssh_channel_write_stderr(handle, &bytes, UInt32(count))
    }

    // MARK: - Pump: descriptor → client

    /// Reads from `fd` (nonblocking) at most the client's window and sends it on the
    /// stdout or stderr stream. Bytes libssh could not take (while a key re-exchange
    /// blocks the session) are kept per stream and sent first next time, so nothing read
    /// is ever lost or reordered.
    package func send(from fd: Int32, stderr: Bool) -> Transfer {
        let stream = stderr ? 1 : 0
        if !unsent[stream].isEmpty {
            let moved = write(&unsent[stream], stderr: stderr)
            guard unsent[stream].isEmpty else { return moved < 0 ? .failed : .windowClosed }
            return .moved(moved)
        }
        let window = self.window
        guard window > 0 else { return .windowClosed }
        let buffer = workBuffer()
        let count = Glibc.read(fd, buffer, min(window, Self.bufferSize))
        if count == 0 { return .endOfFile }
        if count < 0 { return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? .wouldBlock : .failed }
        if translatesNewlines, UnsafeRawBufferPointer(start: buffer, count: count).contains(UInt8(ascii: "\n")) {
            // Longer than the window now: what libssh does not take waits in `unsent`.
            var bytes: [UInt8] = []
            bytes.reserveCapacity(count + count / 8)
            for byte in UnsafeRawBufferPointer(start: buffer, count: count) {
                if byte == UInt8(ascii: "\n") { bytes.append(UInt8(ascii: "\r")) }
                bytes.append(byte)
            }
            if write(&bytes, stderr: stderr) < 0 { return .failed }
            unsent[stream] = bytes
            return .moved(count)
        }
        // count <= window, so libssh normally takes it all without waiting for a window adjust.
        let written = stderr ? ssh_channel_write_stderr(handle, buffer, UInt32(count)) : ssh_channel_write(handle, buffer, UInt32(count))
        if written < 0 { return .failed }
        if written < count {
            unsent[stream].append(contentsOf: UnsafeRawBufferPointer(start: buffer + Int(written), count: count - Int(written)))
        }
        return .moved(count)
    }

    /// Whether bytes read from a descriptor still wait to be sent on a stream.
    package func hasUnsent(stderr: Bool) -> Bool { !unsent[stderr ? 1 : 0].isEmpty }

    private func write(_ bytes: inout [UInt8], stderr: Bool) -> Int {
        let count = min(bytes.count, window)
        guard count > 0 else { return 0 }
        let written = bytes.withUnsafeBytes { raw in
            stderr
                ? ssh_channel_write_stderr(handle, raw.baseAddress, UInt32(count)) : ssh_channel_write(handle, raw.baseAddress, UInt32(count))
        }
        if written < 0 { return -1 }
        bytes.removeFirst(Int(written))
        return Int(written)
    }

    // MARK: - Pump: client → descriptor

    /// Moves held client data into `input`, in order, until it is drained or the
    /// descriptor is full.
    package func flushInput() -> Flush {
        while true {
            if remainderOffset < remainder.count {
                guard case .descriptor(let fd) = input else {
                    if input == .discard { remainder.removeAll(keepingCapacity: true) }
                    remainderOffset = 0
                    if input == .hold { return .blocked }
                    continue
                }
                let written = remainder.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + remainderOffset, $0.count - remainderOffset) }
                if written > 0 {
                    remainderOffset += written
                    continue
                }
                if written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) { return .blocked }
                input = .discard  // EPIPE: the program stopped reading
                continue
            }
            remainder.removeAll(keepingCapacity: true)
            remainderOffset = 0
            guard heldInLibssh else {
                hasHeldInput = false
                return .drained
            }
            if input == .hold { return .blocked }
            // libssh's buffer is not empty, so this read takes from it without polling.
            let buffer = workBuffer()
            let count = ssh_channel_read_nonblocking(handle, buffer, UInt32(Self.bufferSize), 0)
            if count <= 0 {
                heldInLibssh = false
                continue
            }
            if count < Self.bufferSize { heldInLibssh = false }
            if input != .discard {
                remainder.append(contentsOf: UnsafeRawBufferPointer(start: buffer, count: Int(count)))
            }
        }
    }

    private func workBuffer() -> UnsafeMutableRawPointer {
        if let buffer { return buffer }
        let fresh = UnsafeMutableRawPointer.allocate(byteCount: Self.bufferSize, alignment: 16)
        buffer = fresh
        return fresh
    }

    // MARK: - From the C callbacks

    /// Returns how many bytes were consumed; the rest stays in libssh.
    fileprivate func receive(_ data: UnsafeMutableRawPointer?, _ length: UInt32, isStderr: Bool) -> Int32 {
        if isStderr { return Int32(length) }  // extended data from a client has no meaning here
        if watchesInterrupt, let data, UnsafeRawBufferPointer(start: data, count: Int(length)).contains(3) {
            delegate?.channelReceivedInterrupt(self)
        }
        switch input {
        case .discard:
            return Int32(length)
        case .hold:
            heldInLibssh = true
            hasHeldInput = true
            return 0
        case .descriptor(let fd):
            if remainderOffset < remainder.count || length == 0 {
                heldInLibssh = heldInLibssh || length > 0
                hasHeldInput = hasHeldInput || length > 0
                return 0
            }
            let written = Glibc.write(fd, data, Int(length))
            if written < 0 {
                guard errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR else {
                    input = .discard
                    return Int32(length)
                }
                heldInLibssh = true
                hasHeldInput = true
                return 0
            }
            if written < Int(length) {
                heldInLibssh = true
                hasHeldInput = true
            }
            return Int32(written)
        }
    }

    fileprivate func exec(_ command: UnsafePointer<CChar>?) -> Int32 {
        guard let command, let delegate else { return -1 }
        return delegate.channel(self, exec: String(cString: command)) ? 0 : -1
    }

    fileprivate func shell() -> Int32 {
        delegate?.channelRequestsShell(self) == true ? 0 : -1
    }

    fileprivate func environment(_ name: UnsafePointer<CChar>?, _ value: UnsafePointer<CChar>?) -> Int32 {
        guard let name, let value, let delegate else { return -1 }
        return delegate.channel(self, environment: String(cString: name), value: String(cString: value)) ? 0 : -1
    }

    fileprivate func terminal(_ term: UnsafePointer<CChar>?, _ columns: Int32, _ rows: Int32) -> Int32 {
        guard let term, let delegate else { return -1 }
        // A terminal type is a short name; anything longer than 256 bytes is cut (and refused later).
        let bytes = UnsafeBufferPointer(start: term, count: strnlen(term, 256)).map { UInt8(bitPattern: $0) }
        let name = String(decoding: bytes, as: UTF8.self)
        return delegate.channel(self, terminal: name, columns: Int(columns), rows: Int(rows)) ? 0 : -1
    }

    fileprivate func windowChange(_ columns: Int32, _ rows: Int32) -> Int32 {
        delegate?.channel(self, windowChangedTo: Int(columns), rows: Int(rows))
        return 0
    }

    fileprivate func receivedEOF() { delegate?.channelReceivedEOF(self) }
    fileprivate func closed() { delegate?.channelClosed(self) }
}

// MARK: - C callbacks (non-capturing; `userdata` is the unretained SSHChannel)

private func owner(_ userdata: UnsafeMutableRawPointer?) -> SSHChannel? {
    userdata.map { Unmanaged<SSHChannel>.fromOpaque($0).takeUnretainedValue() }
}

private let channelData: ssh_channel_data_callback = { _, _, data, length, isStderr, userdata in
    owner(userdata)?.receive(data, length, isStderr: isStderr != 0) ?? Int32(length)
}

private let channelEOF: ssh_channel_eof_callback = { _, _, userdata in owner(userdata)?.receivedEOF() }

private let channelClose: ssh_channel_close_callback = { _, _, userdata in owner(userdata)?.closed() }

private let channelExec: ssh_channel_exec_request_callback = { _, _, command, userdata in
    owner(userdata)?.exec(command) ?? -1
}

private let channelShell: ssh_channel_shell_request_callback = { _, _, userdata in owner(userdata)?.shell() ?? -1 }

private let channelEnvironment: ssh_channel_env_request_callback = { _, _, name, value, userdata in
    owner(userdata)?.environment(name, value) ?? -1
}

private let channelTerminal: ssh_channel_pty_request_callback = { _, _, term, columns, rows, _, _, userdata in
    owner(userdata)?.terminal(term, columns, rows) ?? -1
}

private let channelWindowChange: ssh_channel_pty_window_change_callback = { _, _, columns, rows, _, _, userdata in
    owner(userdata)?.windowChange(columns, rows) ?? -1
}
