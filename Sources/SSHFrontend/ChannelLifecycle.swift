/// The ordering rules of one channel, without sockets or processes: when to close the
/// program's input, when to send exit status, EOF and close (in that order, only after
/// every output stream is drained and the program has exited: swift-c-interop-notes §2,
/// P4), and what to do when the client goes away first.
///
/// Each event returns the actions to perform, in order.
///
/// ```swift
/// var channel = ChannelLifecycle(kind: .program)
/// channel.started()
/// channel.outputEnded(); channel.outputEnded()
/// channel.programExited(0)   // [.closeInput, .sendExitStatus(0), .sendEOF, .close, .startCloseTimer]
/// ```
package struct ChannelLifecycle: Sendable, Equatable {
    /// What runs behind the channel.
    package enum Kind: Sendable, Equatable {
        /// A program (git or a command): stdin, stdout, stderr and an exit status.
        case program
        /// A forwarded TCP connection: one socket both ways, no exit status.
        case forward
    }

    /// What the owner must do.
    package enum Action: Sendable, Equatable {
        /// Close the program's stdin (or half-close the socket): the client sent EOF and
        /// every byte it sent was delivered, or nobody will read any more.
        case closeInput
        /// Close the output descriptors unread: the client is gone.
        case stopReadingOutput
        /// Send `exit-status`.
        case sendExitStatus(Int32)
        /// Send EOF.
        case sendEOF
        /// Close the channel.
        case close
        /// Wait for the client's close, but not forever.
        case startCloseTimer
        /// Give the abandoned program a moment to exit on its own (EOF, SIGPIPE).
        case startGraceTimer
        /// Stop the program (SIGTERM to its process group, then SIGKILL).
        case terminate
        /// Forget the channel: nothing runs and nothing more will be sent.
        case release
    }

    /// What runs behind the channel.
    package let kind: Kind
    /// Output streams not yet at EOF.
    package private(set) var openOutputs: Int
    /// Whether the program's input (or the socket's write side) is open.
    package private(set) var inputOpen = true
    /// Whether something runs (a program started or a socket connected).
    package private(set) var isStarted = false
    /// The program's exit status, once known (a forward has none: 0).
    package private(set) var status: Int32?
    /// Whether the channel is finished and may be forgotten.
    package private(set) var isReleased = false
    private var clientEOF = false
    private var inputHeld = false
    private var clientGone = false
    private var eofSent = false
    private var closeSent = false
    private var graceStarted = false
    private var terminated = false

    package init(kind: Kind) {
        self.kind = kind
        openOutputs = kind == .program ? 2 : 1
        if kind == .forward { status = 0 }
    }

    /// The program was spawned (or the socket connected).
    package mutating func started() -> [Action] {
        isStarted = true
        return advance()
    }

    /// The client sent EOF. `stillHeld` must be read now, after delivering what could be
    /// delivered: bytes that arrived just before the EOF may still wait in the channel, and
    /// the input closes only once they are written.
    package mutating func clientSentEOF(stillHeld: Bool) -> [Action] {
        clientEOF = true
        inputHeld = stillHeld
        return advance()
    }

    /// Whether client bytes still wait to be written to the program's input.
    package mutating func inputHeld(_ held: Bool) -> [Action] {
        inputHeld = held
        return advance()
    }

    /// One output stream reached EOF and everything read from it was sent.
    package mutating func outputEnded() -> [Action] {
        openOutputs = max(openOutputs - 1, 0)
        return advance()
    }

    /// The program exited.
    package mutating func programExited(_ status: Int32) -> [Action] {
        self.status = status
        return advance()
    }

    /// The forwarded socket failed (or could not be used): end the channel.
    package mutating func endpointFailed() -> [Action] {
        openOutputs = 0
        clientEOF = true
        inputHeld = false
        return advance()
    }

    /// The client closed the channel, or the connection is gone.
    package mutating func clientClosed() -> [Action] {
        clientGone = true
        return advance()
    }

    /// The grace period after the client left has passed.
    package mutating func graceExpired() -> [Action] {
        guard status == nil, !terminated else { return [] }
        terminated = true
        return [.terminate]
    }

    /// Stop the program now (daemon shutdown, Ctrl-C from a client's terminal): it then exits and
    /// the channel ends as usual.
    package mutating func shutdown() -> [Action] {
        guard isStarted, status == nil, !terminated else { return [] }
        terminated = true
        return [.terminate]
    }

    /// The client did not close the channel in time after ours: give up on it.
    package mutating func closeTimerExpired() -> [Action] {
        clientClosed()
    }

    private mutating func advance() -> [Action] {
        guard !isReleased else { return [] }
        var actions: [Action] = []
        let programDone = status != nil && openOutputs == 0
        if inputOpen && (clientGone || (clientEOF && !inputHeld) || (kind == .program && programDone)) {
            inputOpen = false
            actions.append(.closeInput)
        }
        if clientGone {
            if openOutputs > 0 {
                openOutputs = 0
                actions.append(.stopReadingOutput)
            }
            if !isStarted || status != nil {
                isReleased = true
                actions.append(.release)
            } else if !graceStarted {
                graceStarted = true
                actions.append(.startGraceTimer)
            }
            return actions
        }
        guard isStarted else { return actions }
        switch kind {
        case .program:
            if programDone, let status, !closeSent {
                closeSent = true
                actions += [.sendExitStatus(status), .sendEOF, .close, .startCloseTimer]
            }
        case .forward:
            if openOutputs == 0 && !eofSent {
                eofSent = true
                actions.append(.sendEOF)
            }
            if eofSent && !inputOpen && !closeSent {
                closeSent = true
                actions += [.close, .startCloseTimer]
            }
        }
        return actions
    }
}
