import Commands
import Foundation
import LibSSH
import Logging
import OpenrukoCore
import Operations
import Synchronization

/// One client connection on its own thread: key exchange, authentication, then a poll
/// loop over the client socket and every channel's descriptors. A stalled client only
/// ever blocks this thread.
final class Connection: SSHSessionDelegate, @unchecked Sendable {
    // @unchecked: everything but `shutdownRequest` and `wake` is touched only on the
    // connection's own thread (`run`); those two are thread-safe.
    private let session: SSHSession
    private let context: SSHServerContext
    private let wake: WakeSignal
    private let shutdownRequest = Mutex<ContinuousClock.Instant?>(nil)
    private var state = SessionState()
    private var pumps: [ChannelPump] = []
    private var logger: Logger
    private let peer: String
    /// Called once, on the connection's thread, when the client has authenticated.
    private var onAuthenticated: (() -> Void)?

    /// Channels per connection (OpenSSH's multiplexing opens a few; more is abuse).
    static let maximumChannels = 16
    /// Time allowed from connect to authentication.
    static let loginGrace: Duration = .seconds(60)

    /// - Parameter onAuthenticated: called once, on the connection's thread, when the client
    ///   has authenticated (the acceptor stops counting it as unauthenticated).
    init(session: SSHSession, context: SSHServerContext, onAuthenticated: (() -> Void)? = nil) throws(SSHError) {
        self.session = session
        self.context = context
        self.onAuthenticated = onAuthenticated
        wake = try WakeSignal()
        peer = session.peerDescription
        logger = context.logger
        logger[metadataKey: "peer"] = .string(peer)
    }

    /// Asks the connection to end: at once if nothing runs, else when its programs end or
    /// at `deadline`, when they are stopped. Safe from any thread.
    func requestShutdown(deadline: ContinuousClock.Instant) {
        shutdownRequest.withLock { $0 = $0 ?? deadline }
        wake.signal()
    }

    /// Serves the connection until it ends (blocking; call on a dedicated thread).
    /// - Returns: whether the client authenticated.
    @discardableResult
    func run() -> Bool {
        session.setDelegate(self)
        do {
            try session.exchangeKeys(timeout: 30)
        } catch {
            logger.debug("key exchange failed: \(error)")
            session.disconnect()
            return false
        }
        guard let event = try? SSHEvent(session: session) else {
            session.disconnect()
            return false
        }
        loop(event)
        pumps.removeAll()
        session.disconnect()
        logger.debug("disconnected")
        return state.isAuthenticated
    }

    private func loop(_ event: SSHEvent) {
        let loginDeadline = ContinuousClock.now + Self.loginGrace
        var connected = true
        var stopping = false
        // At shutdown, once every program ended: how long the clients get to close their
        // channels themselves (cut at once, ssh reports a broken pipe and exits 255).
        var lingerUntil: ContinuousClock.Instant?
        while true {
            let now = ContinuousClock.now
            var requests = [PollRequest(wake.descriptor, .readable)]
            if connected { requests.append(PollRequest(session.descriptor, session.wantsWrite ? [.readable, .writable] : .readable)) }
            var ranges: [Range<Int>] = []
            for pump in pumps {
                let start = requests.count
                requests += pump.watchList()
                ranges.append(start..<requests.count)
            }
            Poller.wait(
                &requests, timeout: timeout(now: now, loginDeadline: state.isAuthenticated ? nil : loginDeadline, linger: lingerUntil))
            if !requests[0].returned.isEmpty { wake.drain() }

            if connected && (requests.count > 1 && !requests[1].returned.isEmpty) {
                // Each round reads at most 4 KiB: keep going while packets keep coming.
                for _ in 0..<64 {
                    let outcome = event.process()
                    if outcome == .failed || !session.isConnected {
                        connected = false
                        break
                    }
                    if outcome == .idle { break }
                }
            }
            if connected { startRequestedPrograms() }

            let serviced = ContinuousClock.now
            for (pump, range) in zip(pumps, ranges) {
                if !connected { pump.connectionLost() }
                pump.service(requests[range], now: serviced)
            }
            pumps.removeAll { $0.isReleased }

            if connected && !state.isAuthenticated && (serviced >= loginDeadline || state.isExhausted) {
                logger.debug("authentication timed out or exhausted")
                connected = false
            }
            if let deadline = shutdownRequest.withLock({ $0 }) {
                if !stopping || serviced >= deadline {
                    stopping = true
                    if serviced >= deadline { pumps.forEach { $0.shutdown() } }
                }
                if !pumps.contains(where: \.isRunning) {
                    lingerUntil = lingerUntil ?? serviced + Self.shutdownLinger
                    if pumps.isEmpty || serviced >= lingerUntil! || serviced >= deadline { break }
                }
            }
            if !connected && pumps.isEmpty { break }
        }
    }

    /// How long a shutting-down connection waits for its client to close its finished channels.
    static let shutdownLinger: Duration = .seconds(2)

    private func timeout(now: ContinuousClock.Instant, loginDeadline: ContinuousClock.Instant?, linger: ContinuousClock.Instant?) -> Int32 {
        if pumps.contains(where: { $0.hasWorkNow(at: now) }) { return 0 }
        var deadlines = pumps.compactMap(\.nextDeadline)
        if let loginDeadline { deadlines.append(loginDeadline) }
        if let linger { deadlines.append(linger) }
        if let shutdown = shutdownRequest.withLock({ $0 }) { deadlines.append(shutdown) }
        guard let nearest = deadlines.min() else { return 5_000 }
        let wait = nearest - now
        let milliseconds = wait.components.seconds * 1000 + wait.components.attoseconds / 1_000_000_000_000_000
        return Int32(clamping: max(min(milliseconds + 1, 5_000), 0))
    }

    private func startRequestedPrograms() {
        guard let user = state.user else { return }
        for pump in pumps {
            guard let request = pump.pendingRequest else { continue }
            let program: Program
            switch request {
            case .shell:
                program = .refusal(ExecDispatcher.noShell)
                logger.info("shell refused", metadata: ["user": .string(user.email)])
            case .exec(let command):
                let request = ExecRequest(parsing: command)
                program = context.dispatcher.program(for: request, as: user, gitProtocol: pump.environment["GIT_PROTOCOL"])
                logger.info("exec", metadata: ["user": .string(user.email), "request": .string(Self.summary(request))])
            }
            do {
                let platform = context.dispatcher.platform
                let logs = context.logs
                let terminal = pump.terminal
                let running = try RunningProgram.start(
                    program, table: context.table,
                    context: { io in CommandContext(platform: platform, principal: .user(user), io: io, logs: logs, terminal: terminal) },
                    wake: wake)
                // A terminal only a dyno has (`run`): anything else on `ssh -t` gets `\r\n` line
                // ends and stops at Ctrl-C, as on a terminal.
                let emulatesTerminal = pump.terminal != nil && !Self.runsADyno(program)
                pump.channel.translatesNewlines = emulatesTerminal
                pump.channel.watchesInterrupt = emulatesTerminal
                pump.start(running)
            } catch {
                logger.error("cannot start a program: \(error)")
                pump.startFailed("The server cannot start this command now; try again.")
            }
        }
    }

    /// Whether `program` runs in a dyno (`run`, `run:inside`, `pg:psql`: a PTY of its own when the client has a terminal).
    private static func runsADyno(_ program: Program) -> Bool {
        if case .command(let words) = program { return ["run", "run:inside", "pg:psql"].contains(words.first ?? "") }
        return false
    }

    /// What to log about a request: never arguments, which may hold config values.
    private static func summary(_ request: ExecRequest) -> String {
        switch request {
        case .git(let service, let app): "\(service.rawValue) \(app)"
        case .command(let words): words.first.map { String($0.prefix(40)) } ?? "help"
        case .refused: "refused"
        }
    }

    // MARK: - SSHSessionDelegate (inside libssh: decide and record only)

    func session(_ session: SSHSession, authenticateKey fingerprint: String, type: String, signed: Bool) -> Bool {
        let platform = context.dispatcher.platform
        let accepted = state.authenticate(fingerprint: fingerprint, signed: signed) { try platform.key(fingerprint: $0) }
        if signed {
            if let user = state.user, accepted {
                logger[metadataKey: "user"] = .string(user.email)
                logger.debug("authenticated", metadata: ["key": .string(fingerprint)])
                onAuthenticated?()
                onAuthenticated = nil
            } else {
                logger.debug("key refused", metadata: ["key": .string(fingerprint)])
            }
        }
        return accepted
    }

    func sessionOpensChannel(_ session: SSHSession) -> SSHChannel? {
        guard state.isAuthenticated, pumps.count < Self.maximumChannels, let channel = session.makeChannel() else { return nil }
        pumps.append(ChannelPump(session: channel))
        return channel
    }

    func session(_ session: SSHSession, forwardTo host: String, port: Int, accept: () -> SSHChannel?) {
        guard state.isAuthenticated, pumps.count < Self.maximumChannels else { return }
        guard let target = context.forwardPolicy().target(host: host, port: port) else {
            logger.info("forward refused", metadata: ["to": .string("\(host):\(port)")])
            return
        }
        let socket: Int32
        do {
            socket = try TCPConnection.connect(host: target.host, port: target.port)
        } catch {
            logger.warning("forward to the API failed: \(error)")
            return
        }
        guard let channel = accept() else {
            Descriptor.close(socket)
            return
        }
        pumps.append(ChannelPump(forward: channel, socket: socket))
    }
}
