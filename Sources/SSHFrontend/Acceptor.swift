import Foundation
import LibSSH
import Logging
import OpenrukoCore
import Synchronization

/// The SSH accept loop on its own thread: polls the listener, a stop signal and a wake-up for
/// freed login places; decides on each connection from its source address before any SSH
/// (`SourcePenalties`, the global cap, the `LoginQueue` of connections still logging in) and
/// serves it on a thread of its own, keeps it waiting for a place, or turns it away with one
/// line of text. Refusals are logged through a `RefusalLog` (one line per source per minute,
/// then a count); connections that cannot be accepted or served (out of descriptors) through an
/// `AcceptBackoff` (a growing pause, one line when it starts and one when it ends).
final class Acceptor: @unchecked Sendable {
    // @unchecked: `bind`, `refusals`, `backoff`, `waiting` and `nextID` are used only on the
    // accept thread until `stop` has joined it; the rest is immutable or locked.

    struct Limits: Sendable {
        /// Connections served at once.
        var total: Int
        var logins: LoginQueue.Policy
        var penalties: SourcePenalties.Policy
    }

    /// Why a connection is turned away.
    enum Refusal: Sendable, Hashable {
        case tooFast
        case penalized
        case serverFull
        case tooManyLoggingIn

        /// The line the client gets.
        var message: String {
            switch self {
            case .tooFast: "openruko: too many new connections from your address; slow down and try again."
            case .penalized: "openruko: too many connections from your address failed to log in; try again in a minute."
            case .serverFull: "openruko: the server is busy; try again shortly."
            case .tooManyLoggingIn: "openruko: too many connections from your address are logging in at once; try again shortly."
            }
        }

        /// What the log says.
        var reason: String {
            switch self {
            case .tooFast: "too many new connections from it"
            case .penalized: "too many of its connections ended unauthenticated (penalty)"
            case .serverFull: "the server serves as many connections as it may"
            case .tooManyLoggingIn: "too many of its connections are logging in at once"
            }
        }
    }

    private let bind: SSHBind
    private let context: SSHServerContext
    private let connections: ConnectionRegistry
    private let limits: Limits
    private let stopSignal: WakeSignal
    private let stopped = Mutex(false)
    private let penalties: Mutex<SourcePenalties>
    private let logins: Mutex<LoginQueue>
    /// Waiting connections admitted by a connection thread, for the accept thread to serve.
    private let handedOver = Mutex<[Int]>([])
    private let placeFreed: WakeSignal
    private var waiting: [Int: (socket: IncomingSocket, source: String)] = [:]
    private var nextID = 0
    private var refusals = RefusalLog()
    private var backoff = AcceptBackoff()
    private let finished = Mutex<(done: Bool, waiter: CheckedContinuation<Void, Never>?)>((false, nil))

    init(bind: SSHBind, context: SSHServerContext, connections: ConnectionRegistry, limits: Limits) throws(SSHError) {
        self.bind = bind
        self.context = context
        self.connections = connections
        self.limits = limits
        penalties = Mutex(SourcePenalties(policy: limits.penalties))
        logins = Mutex(LoginQueue(policy: limits.logins))
        stopSignal = try WakeSignal()
        placeFreed = try WakeSignal()
    }

    /// Starts the accept thread.
    func start() {
        let thread = Thread { [self] in
            loop()
            finished.withLock { state in
                state.done = true
                return state.waiter.take()
            }?.resume()
        }
        thread.name = "ssh-accept"
        thread.start()
    }

    /// Stops accepting and waits for the accept thread to end (the listener then closes).
    func stop() async {
        stopped.withLock { $0 = true }
        stopSignal.signal()
        await withCheckedContinuation { continuation in
            let done = finished.withLock { state in
                if !state.done { state.waiter = continuation }
                return state.done
            }
            if done { continuation.resume() }
        }
    }

    private var isStopped: Bool { stopped.withLock { $0 } }

    private func loop() {
        while !isStopped {
            var requests = [
                PollRequest(bind.descriptor, .readable), PollRequest(stopSignal.descriptor, .readable),
                PollRequest(placeFreed.descriptor, .readable),
            ]
            let deadlines = [refusals.nextSummary, logins.withLock { $0.nextDeadline }].compactMap { $0 }
            Poller.wait(&requests, timeout: milliseconds(until: deadlines.min()))
            if !requests[2].returned.isEmpty { placeFreed.drain() }
            serveHandedOver()
            refuseExpired()
            logRefusalSummary()
            guard !requests[0].returned.isEmpty, !isStopped else { continue }
            let socket: IncomingSocket
            do {
                guard let accepted = try bind.acceptSocket() else { continue }
                socket = accepted
            } catch {
                failed(error)
                continue
            }
            let source = socket.peer?.host ?? "unknown"
            if let refusal = screen(source) {
                refuse(socket, source: source, refusal)
                continue
            }
            let id = nextID
            nextID += 1
            switch logins.withLock({ $0.arrive(id, from: source, now: .now) }) {
            case .admitted: serve(socket, source: source)
            case .waiting: waiting[id] = (socket, source)
            case .refused: refuse(socket, source: source, .tooManyLoggingIn)
            }
        }
        for (socket, source) in waiting.values { refuse(socket, source: source, .serverFull) }
        waiting.removeAll()
    }

    /// Why a connection from `source` may not even wait for a login place, if so.
    private func screen(_ source: String) -> Refusal? {
        switch penalties.withLock({ $0.admit(source, now: .now) }) {
        case .admitted: break
        case .tooFast: return .tooFast
        case .penalized: return .penalized
        }
        // Waiting connections do not count: they are few (`LoginQueue.Policy.waitingTotal`).
        return connections.count < limits.total ? nil : .serverFull
    }

    private func refuse(_ socket: IncomingSocket, source: String, _ refusal: Refusal) {
        socket.refuse(refusal.message)
        if refusals.refused(source, now: .now) {
            context.logger.warning(
                "SSH: refusing connections from \(source): \(refusal.reason) (further refusals within a minute are only counted)")
        }
    }

    /// Serves the waiting connections that a finished login handed its place to.
    private func serveHandedOver() {
        for id in handedOver.withLock({ list in defer { list.removeAll() }; return list }) {
            guard let (socket, source) = waiting.removeValue(forKey: id) else { continue }
            serve(socket, source: source)
        }
    }

    /// Refuses the waiting connections whose time is up.
    private func refuseExpired() {
        for id in logins.withLock({ $0.expire(now: .now) }) {
            guard let (socket, source) = waiting.removeValue(forKey: id) else { continue }
            refuse(socket, source: source, .tooManyLoggingIn)
        }
    }

    /// A connection from `source` has logged in or ended: its place goes to a waiting one.
    private func freePlace(_ source: String) {
        guard let next = logins.withLock({ $0.release(source) }) else { return }
        handedOver.withLock { $0.append(next) }
        placeFreed.signal()
    }

    /// A connection could not be accepted or served (out of descriptors, mostly): logged once
    /// per episode, and accepting pauses a little longer each time.
    private func failed(_ error: any Error) {
        let step = backoff.failed(now: .now)
        if step.log {
            context.logger.error("SSH: cannot accept or serve connections: \(error); pausing accepts until it passes (logged again when it does)")
        }
        pause(step.delay)
    }

    /// Serves an admitted connection on a thread of its own.
    private func serve(_ socket: IncomingSocket, source: String) {
        let slot = LoginSlot { [self] in freePlace(source) }
        let session: SSHSession
        let connection: Connection
        do {
            session = try bind.session(adopting: socket)
        } catch {
            slot.release()
            return failed(error)
        }
        do {
            connection = try Connection(session: session, context: context, onAuthenticated: slot.release)
        } catch {
            session.disconnect()
            slot.release()
            return failed(error)
        }
        if let recovery = backoff.succeeded(now: .now) {
            context.logger.warning("SSH: serving connections again after \(recovery.failures) failures over \(recovery.lasted)")
        }
        let connections = self.connections
        connections.add(connection)
        // The thread holds the connection only through this box, so the registry's `remove`
        // drops the last reference: libssh's session is freed before a shutdown waiting for
        // the registry to empty goes on (and the process exits under a thread still in libssh).
        let handoff = Mutex<Connection?>(connection)
        let thread = Thread { [self] in
            let ended: ObjectIdentifier
            do {  // `served` is released at the end of this block at the latest
                guard let served = handoff.withLock({ $0.take() }) else { return }
                if !served.run() {
                    penalties.withLock { $0.failedAuthentication(source, now: .now) }
                }
                ended = ObjectIdentifier(served)
            }
            slot.release()
            connections.remove(ended)
        }
        thread.name = "ssh-connection"
        thread.start()
    }

    private func logRefusalSummary() {
        guard let summary = refusals.summary(now: .now) else { return }
        context.logger.warning(
            "SSH: refused \(summary.refusals) more connections from \(summary.sources) addresses in the last minute")
    }

    /// Waits `delay`, or until `stop`.
    private func pause(_ delay: Duration) {
        var requests = [PollRequest(stopSignal.descriptor, .readable)]
        Poller.wait(&requests, timeout: milliseconds(until: .now + delay))
    }

    /// The poll timeout until `deadline`: -1 (forever) without one.
    private func milliseconds(until deadline: ContinuousClock.Instant?) -> Int32 {
        guard let deadline else { return -1 }
        let left = deadline - .now
        return Int32(clamping: max(0, left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1))
    }
}

/// A connection's place among those logging in from its source: given back once, when it
/// authenticates or ends, whichever comes first.
private final class LoginSlot: Sendable {
    private let released = Mutex(false)
    private let giveBack: @Sendable () -> Void

    init(_ giveBack: @escaping @Sendable () -> Void) {
        self.giveBack = giveBack
    }

    func release() {
        let first = released.withLock { released in
            defer { released = true }
            return !released
        }
        if first { giveBack() }
    }
}
