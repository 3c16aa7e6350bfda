import Synchronization

/// The terminal of an attached one-off dyno (`heroku run`, `ssh … run`): what a front end
/// (the rendezvous listener, an SSH channel) and the runtime share. The front end claims it
/// with `connect()`, feeds `input` and reads `output`; the runtime starts the process only
/// once it is connected (so no output is lost), gives up on it when nobody connects in time,
/// and stops the process when the front end hangs up.
///
/// ```swift
/// let attachment = DynoAttachment(tty: false)
/// _ = try await platform.runDyno(app, request, attachment: attachment, as: principal)
/// guard attachment.connect() else { return }
/// while let chunk = await attachment.output.next() { try await client.write(chunk) }
/// let status = await attachment.exitStatus()
/// ```
package final class DynoAttachment: Sendable {
    private enum Phase {
        case waiting, connected, expired, hungUp
    }

    private struct State {
        var phase = Phase.waiting
        var connectWaiter: CheckedContinuation<Bool, Never>?
        var exitStatus: Int32?
        var exitWaiters: [CheckedContinuation<Int32, Never>] = []
        var onHangUp: (@Sendable () -> Void)?
    }

    /// The client's terminal: the process gets a PTY of its size (and follows its changes)
    /// rather than pipes; nil: pipes.
    package let window: TerminalWindow?
    /// Whether the process gets a terminal (a PTY) rather than pipes.
    package var tty: Bool { window != nil }
    /// The client's keystrokes or piped input, to the process's stdin; finished at EOF.
    package let input = ByteChannel(limit: 256 << 10)
    /// The process's stdout and stderr (one stream, as a terminal shows them); finished when it ends.
    package let output = ByteChannel(limit: 1 << 20)
    private let state = Mutex(State())

    /// - Parameters:
    ///   - tty: whether the process gets a PTY, `columns`×`lines` (clamped; 80×24 when not
    ///     given) with `term` as its `TERM` when that is a plausible terminfo name.
    package convenience init(tty: Bool, columns: Int? = nil, lines: Int? = nil, term: String? = nil) {
        self.init(window: tty ? TerminalWindow(term: term, size: TerminalSize(columns: columns, lines: lines)) : nil)
    }

    /// An attachment with `window` as the process's terminal (nil: pipes).
    package init(window: TerminalWindow?) {
        self.window = window
    }

    // MARK: Front end

    /// Claims the attachment for a client; false when it was claimed before, expired or was
    /// abandoned (single use).
    package func connect() -> Bool {
        let waiter: CheckedContinuation<Bool, Never>?? = state.withLock { state in
            guard state.phase == .waiting else { return .none }
            state.phase = .connected
            defer { state.connectWaiter = nil }
            return .some(state.connectWaiter)
        }
        guard let waiter else { return false }
        waiter?.resume(returning: true)
        return true
    }

    /// Whether no client has claimed it yet and it has not expired.
    package var isClaimable: Bool { state.withLock { $0.phase == .waiting } }

    /// The client went away (socket closed, SSH channel gone): the process is stopped.
    package func hangUp() {
        let (waiter, handler): (CheckedContinuation<Bool, Never>?, (@Sendable () -> Void)?) = state.withLock { state in
            guard state.phase == .waiting || state.phase == .connected else { return (nil, nil) }
            state.phase = .hungUp
            defer { state.connectWaiter = nil }
            return (state.connectWaiter, state.exitStatus == nil ? state.onHangUp : nil)
        }
        input.close()
        output.close()
        waiter?.resume(returning: false)
        handler?()
    }

    /// Waits until the process has ended: its exit status (128 + N when killed by signal N).
    package func exitStatus() async -> Int32 {
        await withCheckedContinuation { continuation in
            let known: Int32? = state.withLock { state in
                if let status = state.exitStatus { return status }
                state.exitWaiters.append(continuation)
                return nil
            }
            if let known { continuation.resume(returning: known) }
        }
    }

    // MARK: Runtime

    /// Waits until a client connects: true; false when `timeout` passes first (the
    /// attachment then expires) or the client hung up.
    package func waitForConnection(timeout: Duration) async -> Bool {
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            guard !Task.isCancelled else { return }
            self?.expire()
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { continuation in
            let known: Bool? = state.withLock { state in
                switch state.phase {
                case .connected: return true
                case .expired, .hungUp: return false
                case .waiting:
                    state.connectWaiter = continuation
                    return nil
                }
            }
            if let known { continuation.resume(returning: known) }
        }
    }

    private func expire() {
        let waiter: CheckedContinuation<Bool, Never>? = state.withLock { state in
            guard state.phase == .waiting else { return nil }
            state.phase = .expired
            defer { state.connectWaiter = nil }
            return state.connectWaiter
        }
        waiter?.resume(returning: false)
    }

    /// What to do when the client hangs up while the process runs (stop the dyno).
    package func onHangUp(_ handler: @escaping @Sendable () -> Void) {
        let hungUp = state.withLock { state in
            state.onHangUp = handler
            return state.phase == .hungUp
        }
        if hungUp { handler() }
    }

    /// The process ended with `status` (after its last output was sent): the output stream
    /// finishes and `exitStatus()` returns.
    package func finish(status: Int32) {
        let waiters = state.withLock { state in
            guard state.exitStatus == nil else { return [CheckedContinuation<Int32, Never>]() }
            state.exitStatus = status
            defer { state.exitWaiters.removeAll() }
            return state.exitWaiters
        }
        output.finish()
        input.close()
        waiters.forEach { $0.resume(returning: status) }
    }
}
