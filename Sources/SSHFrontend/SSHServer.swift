package import Commands
import Foundation
import LibSSH
package import Logging
package import OpenrukoCore
import Platform
import ServiceLifecycle
import Synchronization

/// What every connection of a server shares.
package struct SSHServerContext: Sendable {
    /// Turns exec requests into programs (authorization included).
    package var dispatcher: ExecDispatcher
    /// The command table (the production one, or one with test commands).
    package var table: CommandTable
    /// The log store, for `logs`.
    package var logs: (any LogReader)?
    /// Where `ssh -L` may go, read per request (the API's bound address may come later).
    package var forwardPolicy: @Sendable () -> ForwardPolicy
    package var logger: Logger

    package init(
        dispatcher: ExecDispatcher, table: CommandTable = .standard, logs: (any LogReader)? = nil,
        forwardPolicy: @escaping @Sendable () -> ForwardPolicy, logger: Logger
    ) {
        self.dispatcher = dispatcher
        self.table = table
        self.logs = logs
        self.forwardPolicy = forwardPolicy
        self.logger = logger
    }
}

/// The embedded SSH server (DESIGN.md §2.1, §2.4): git push/fetch and the command table
/// over SSH, public keys only. Accepts on its own thread and serves each connection on
/// its own thread, never on the cooperative pool.
///
/// ```swift
/// let server = SSHServer(listen: address, hostKeyDirectory: layout.ssh, context: context, registry: registry)
/// try await ServiceGroup(services: [server], …).run()
/// ```
package struct SSHServer: Service {
    /// Where to listen (port 0: any free port).
    package var listen: ListenAddress
    /// `DATA_DIR/ssh`.
    package var hostKeyDirectory: String
    package var context: SSHServerContext
    /// Receives the bound address as `ssh`.
    package var registry: ListenerRegistry
    /// Connections served at once; more are turned away.
    package var maximumConnections = 512
    /// On shutdown, how long running pushes and commands may finish before they are stopped.
    package var shutdownGrace: Duration = .seconds(20)
    /// Cipher preference, or nil for libssh's.
    package var ciphers: String?
    /// Per-source connection and failed-authentication limits.
    var sourcePolicy = SourcePenalties.Policy()

    package init(listen: ListenAddress, hostKeyDirectory: String, context: SSHServerContext, registry: ListenerRegistry) {
        self.listen = listen
        self.hostKeyDirectory = hostKeyDirectory
        self.context = context
        self.registry = registry
    }

    package func run() async throws {
        // The ECDSA key stays on disk (OpenSSH mode, known_hosts) but is not offered: NIST curves.
        let keys = try HostKeys.loadOrCreate(in: hostKeyDirectory).filter { $0.kind != "ecdsa" }
        let bind = try SSHBind(host: listen.host, port: listen.port, hostKeys: keys.map(\.privateKey), ciphers: ciphers)
        guard let address = bind.boundAddress else { throw SSHError(function: "getsockname", message: "cannot read the bound address") }
        for key in keys { context.logger.info("SSH host key \(key.kind) \(key.fingerprint)") }
        context.logger.info("SSH listening on \(address)")
        let connections = ConnectionRegistry()
        let acceptor = try Acceptor(
            bind: bind, context: context, connections: connections, limit: maximumConnections, penalties: sourcePolicy)
        acceptor.start()
        await registry.bound("ssh", address: address.description)

        try? await gracefulShutdown()
        await acceptor.stop()
        connections.requestShutdown(deadline: .now + shutdownGrace)
        await connections.waitUntilEmpty()
        context.logger.info("SSH server stopped")
    }
}

/// The accept loop on its own thread: polls the listener and a stop signal.
private final class Acceptor: @unchecked Sendable {
    // @unchecked: `bind` is used only on the accept thread until `stop` has joined it.
    private let bind: SSHBind
    private let context: SSHServerContext
    private let connections: ConnectionRegistry
    private let limit: Int
    private let stopSignal: WakeSignal
    private let stopped = Mutex(false)
    private let penalties: Mutex<SourcePenalties>
    private let finished = Mutex<(done: Bool, waiter: CheckedContinuation<Void, Never>?)>((false, nil))

    init(
        bind: SSHBind, context: SSHServerContext, connections: ConnectionRegistry, limit: Int, penalties: SourcePenalties.Policy
    ) throws(SSHError) {
        self.penalties = Mutex(SourcePenalties(policy: penalties))
        self.bind = bind
        self.context = context
        self.connections = connections
        self.limit = limit
        stopSignal = try WakeSignal()
    }

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

    private func loop() {
        while !stopped.withLock({ $0 }) {
            var requests = [PollRequest(bind.descriptor, .readable), PollRequest(stopSignal.descriptor, .readable)]
            Poller.wait(&requests, timeout: -1)
            guard !requests[0].returned.isEmpty, !stopped.withLock({ $0 }) else { continue }
            let session: SSHSession?
            do {
                session = try bind.accept()
            } catch {
                context.logger.warning("accept failed: \(error)")
                Thread.sleep(forTimeInterval: 0.05)
                continue
            }
            guard let session else { continue }
            let source = SourcePenalties.address(of: session.peerDescription)
            switch penalties.withLock({ $0.admit(source, now: .now) }) {
            case .admitted: break
            case .tooFast:
                context.logger.warning("SSH: refusing a connection from \(source): too many new connections from it")
                session.disconnect()
                continue
            case .penalized:
                context.logger.warning(
                    "SSH: refusing a connection from \(source): too many of its connections ended unauthenticated (penalty)")
                session.disconnect()
                continue
            }
            guard connections.count < limit else {
                context.logger.warning("too many connections; turning one away")
                session.disconnect()
                continue
            }
            do {
                let connection = try Connection(session: session, context: context)
                let connections = self.connections
                connections.add(connection)
                let thread = Thread { [self] in
                    if !connection.run() {
                        penalties.withLock { $0.failedAuthentication(source, now: .now) }
                    }
                    connections.remove(connection)
                }
                thread.name = "ssh-connection"
                thread.start()
            } catch {
                context.logger.error("cannot serve a connection: \(error)")
                session.disconnect()
            }
        }
    }
}

/// The live connections, so shutdown can reach them and wait for them.
private final class ConnectionRegistry: Sendable {
    private struct State {
        var connections: [ObjectIdentifier: Connection] = [:]
        var deadline: ContinuousClock.Instant?
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    var count: Int { state.withLock { $0.connections.count } }

    func add(_ connection: Connection) {
        let deadline = state.withLock { state in
            state.connections[ObjectIdentifier(connection)] = connection
            return state.deadline
        }
        if let deadline { connection.requestShutdown(deadline: deadline) }
    }

    func remove(_ connection: Connection) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.connections[ObjectIdentifier(connection)] = nil
            guard state.connections.isEmpty else { return [] }
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        waiters.forEach { $0.resume() }
    }

    func requestShutdown(deadline: ContinuousClock.Instant) {
        let all = state.withLock { state in
            state.deadline = deadline
            return Array(state.connections.values)
        }
        all.forEach { $0.requestShutdown(deadline: deadline) }
    }

    func waitUntilEmpty() async {
        await withCheckedContinuation { continuation in
            let done = state.withLock { state in
                if state.connections.isEmpty { return true }
                state.waiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }
}
