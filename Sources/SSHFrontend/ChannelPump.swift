import LibSSH
import OpenrukoCore

/// One channel and what runs behind it (a program's pipes or a forwarded socket): moves
/// bytes both ways with backpressure and follows `ChannelLifecycle` for the ordering.
/// Lives on its connection's thread; libssh callbacks only record what happened, and
/// `service` acts on it after `SSHEvent.process` returns.
final class ChannelPump: SSHChannelDelegate {
    /// What the client asked to run.
    enum Request: Equatable {
        case exec(String)
        case shell
    }

    private struct Output {
        var fd: Int32
        var stderr: Bool
        var open = true
        /// Known to have data (or not yet known to be empty): try reading without polling.
        var ready = true
    }

    let channel: SSHChannel
    private(set) var lifecycle: ChannelLifecycle
    private(set) var request: Request?
    /// Accepted `env` values (only `GIT_PROTOCOL`).
    private(set) var environment: [String: String] = [:]
    /// The client's terminal, when it asked for one (`ssh -t`) before its exec request.
    private(set) var terminal: TerminalWindow?
    private(set) var program: RunningProgram?
    private var input: Int32?
    private var outputs: [Output] = []
    private var socket: Int32?
    private var clientEOF = false
    /// Ctrl-C from a client with a terminal, for a program without one (see `watchesInterrupt`).
    private var interrupted = false
    private var clientGone = false
    private var eofHandled = false
    private var goneHandled = false
    private var statusHandled = false
    private var graceDeadline: ContinuousClock.Instant?
    private var closeDeadline: ContinuousClock.Instant?

    /// How long an abandoned program may take to exit on its own before it is stopped.
    static let abandonGrace: Duration = .seconds(5)
    /// How long to wait for the client's close after ours.
    static let closeWait: Duration = .seconds(10)
    /// Reads per output per round before the loop services others (fairness).
    private static let readsPerRound = 8

    /// A session channel, waiting for an exec request.
    init(session channel: SSHChannel) {
        self.channel = channel
        lifecycle = ChannelLifecycle(kind: .program)
        channel.delegate = self
    }

    /// A forward channel on a connected socket (ownership taken).
    init(forward channel: SSHChannel, socket: Int32) {
        self.channel = channel
        lifecycle = ChannelLifecycle(kind: .forward)
        self.socket = socket
        input = socket
        outputs = [Output(fd: socket, stderr: false)]
        channel.delegate = self
        channel.input = .descriptor(socket)
        apply(lifecycle.started())
    }

    deinit {
        closeEverything()
    }

    /// Whether the channel is finished.
    var isReleased: Bool { lifecycle.isReleased }
    /// The request to start, if one arrived and nothing runs yet.
    var pendingRequest: Request? { lifecycle.isStarted || lifecycle.isReleased ? nil : request }
    /// Whether a program runs (daemon shutdown waits for these).
    var isRunning: Bool { program != nil && lifecycle.status == nil }

    // MARK: - Starting

    /// Connects the program's pipes to the channel.
    func start(_ program: RunningProgram) {
        self.program = program
        input = program.stdin
        outputs = [Output(fd: program.stdout, stderr: false), Output(fd: program.stderr, stderr: true)]
        channel.input = .descriptor(program.stdin)
        apply(lifecycle.started())
    }

    /// Nothing could be started: tell the client and end the channel with status 1.
    func startFailed(_ message: String) {
        channel.writeError(" !     \(message)\n")
        apply(lifecycle.started())
        apply(lifecycle.outputEnded())
        apply(lifecycle.outputEnded())
        apply(lifecycle.programExited(1))
    }

    /// Stops a running program (daemon shutdown).
    func shutdown() {
        apply(lifecycle.shutdown())
    }

    /// The connection is gone: end everything.
    func connectionLost() {
        clientGone = true
    }

    // MARK: - Polling

    /// What to wait for.
    func watchList() -> [PollRequest] {
        var list: [PollRequest] = []
        if let input, lifecycle.inputOpen, channel.hasHeldInput { list.append(PollRequest(input, .writable)) }
        let window = channel.window
        for output in outputs where output.open && !output.ready && window > 0 && !channel.hasUnsent(stderr: output.stderr) {
            list.append(PollRequest(output.fd, .readable))
        }
        return list
    }

    /// Whether there is work that must not wait for `poll` (data known to be readable and
    /// room in the client's window, or a timer due).
    func hasWorkNow(at now: ContinuousClock.Instant) -> Bool {
        if let graceDeadline, now >= graceDeadline { return true }
        if let closeDeadline, now >= closeDeadline { return true }
        if clientEOF != eofHandled || clientGone != goneHandled || interrupted { return true }
        if let program, !statusHandled, program.exitStatus != nil { return true }
        guard channel.window > 0 else { return false }
        return outputs.contains { $0.open && $0.ready && !channel.hasUnsent(stderr: $0.stderr) }
    }

    /// The nearest timer.
    var nextDeadline: ContinuousClock.Instant? {
        [graceDeadline, closeDeadline].compactMap { $0 }.min()
    }

    // MARK: - Servicing

    /// Moves bytes and advances the lifecycle. `ready` are this pump's poll results.
    func service(_ ready: ArraySlice<PollRequest>, now: ContinuousClock.Instant) {
        for result in ready where !result.returned.isEmpty {
            for index in outputs.indices where outputs[index].fd == result.descriptor && result.events.contains(.readable) {
                outputs[index].ready = true
            }
        }
        // Deliver held client bytes first; only then may the client's EOF close the input
        // (bytes that arrived just before the EOF may still wait in the channel).
        if lifecycle.inputOpen, channel.hasHeldInput, case .descriptor = channel.input {
            _ = channel.flushInput()
        }
        if clientEOF && !eofHandled {
            eofHandled = true
            apply(lifecycle.clientSentEOF(stillHeld: channel.hasHeldInput))
        } else if lifecycle.inputOpen {
            apply(lifecycle.inputHeld(channel.hasHeldInput))
        }
        pumpOutputs()
        if let program, !statusHandled, let status = program.exitStatus {
            statusHandled = true
            // The program ended: whatever is still in its pipes is there now.
            for index in outputs.indices { outputs[index].ready = true }
            pumpOutputs()
            apply(lifecycle.programExited(status))
        }
        if interrupted {
            // As SIGINT from a terminal would: the program stops (its status is then ssh's).
            interrupted = false
            apply(lifecycle.shutdown())
        }
        if clientGone && !goneHandled {
            goneHandled = true
            apply(lifecycle.clientClosed())
        }
        if let deadline = graceDeadline, now >= deadline {
            graceDeadline = nil
            apply(lifecycle.graceExpired())
        }
        if let deadline = closeDeadline, now >= deadline {
            closeDeadline = nil
            apply(lifecycle.closeTimerExpired())
        }
    }

    private func pumpOutputs() {
        for index in outputs.indices where outputs[index].open && outputs[index].ready {
            var rounds = Self.readsPerRound
            reading: while rounds > 0 {
                rounds -= 1
                switch channel.send(from: outputs[index].fd, stderr: outputs[index].stderr) {
                case .moved:
                    continue
                case .wouldBlock:
                    outputs[index].ready = false
                    break reading
                case .windowClosed:
                    break reading
                case .endOfFile:
                    endOutput(index)
                    apply(lifecycle.outputEnded())
                    break reading
                case .failed:
                    endOutput(index)
                    apply(lifecycle.kind == .forward ? lifecycle.endpointFailed() : lifecycle.outputEnded())
                    break reading
                }
            }
        }
    }

    private func endOutput(_ index: Int) {
        outputs[index].open = false
        if outputs[index].fd != socket { Descriptor.close(outputs[index].fd) }
        closeSocketIfDone()
    }

    private func closeSocketIfDone() {
        guard let socket, !lifecycle.inputOpen || input == nil, !outputs.contains(where: \.open) else { return }
        Descriptor.close(socket)
        self.socket = nil
    }

    private func apply(_ actions: [ChannelLifecycle.Action]) {
        for action in actions {
            switch action {
            case .closeInput:
                channel.input = .discard
                _ = channel.flushInput()
                if let input {
                    if input == socket { Descriptor.shutdownWrite(input) } else { Descriptor.close(input) }
                    self.input = nil
                }
                closeSocketIfDone()
            case .stopReadingOutput:
                for index in outputs.indices where outputs[index].open { endOutput(index) }
            case .sendExitStatus(let status):
                channel.sendExitStatus(status)
            case .sendEOF:
                channel.sendEOF()
            case .close:
                channel.close()
            case .startCloseTimer:
                closeDeadline = .now + Self.closeWait
            case .startGraceTimer:
                graceDeadline = .now + Self.abandonGrace
            case .terminate:
                program?.terminate()
            case .release:
                closeEverything()
            }
        }
    }

    private func closeEverything() {
        if let input, input != socket { Descriptor.close(input) }
        input = nil
        for index in outputs.indices where outputs[index].open && outputs[index].fd != socket {
            Descriptor.close(outputs[index].fd)
            outputs[index].open = false
        }
        if let socket { Descriptor.close(socket) }
        socket = nil
    }

    // MARK: - SSHChannelDelegate (inside libssh: record only)

    func channel(_ channel: SSHChannel, exec command: String) -> Bool {
        guard lifecycle.kind == .program, request == nil else { return false }
        request = .exec(command)
        return true
    }

    func channelRequestsShell(_ channel: SSHChannel) -> Bool {
        guard lifecycle.kind == .program, request == nil else { return false }
        request = .shell
        return true
    }

    func channel(_ channel: SSHChannel, environment name: String, value: String) -> Bool {
        guard name == "GIT_PROTOCOL", ExecDispatcher.isSafeProtocol(value) else { return false }
        environment[name] = value
        return true
    }

    func channel(_ channel: SSHChannel, terminal term: String, columns: Int, rows: Int) -> Bool {
        guard lifecycle.kind == .program, request == nil, terminal == nil else { return false }
        terminal = TerminalWindow(term: term, size: TerminalSize(columns: columns, lines: rows))
        return true
    }

    func channel(_ channel: SSHChannel, windowChangedTo columns: Int, rows: Int) {
        // The listener only writes a short line without blocking (OneOffResizeChannel).
        terminal?.resize(TerminalSize(columns: columns, lines: rows))
    }

    func channelReceivedInterrupt(_ channel: SSHChannel) {
        interrupted = true
    }

    func channelReceivedEOF(_ channel: SSHChannel) {
        clientEOF = true
    }

    func channelClosed(_ channel: SSHChannel) {
        clientGone = true
    }
}
