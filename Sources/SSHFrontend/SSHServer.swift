package import Commands
import Foundation
import LibSSH
package import Logging
package import OpenrukoCore
import Operations
import ServiceLifecycle

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
    /// Connections served at once; more are turned away. 512, or a quarter of the descriptor
    /// limit when that is smaller (each connection holds a socket and a wake-up descriptor).
    package var maximumConnections = min(512, max(64, ConnectionBudget.descriptorLimit / 4))
    /// Connections from one source address that may be logging in at once (key exchange and
    /// authentication); three times as many more wait up to 10 s for a place, before any SSH; more are turned
    /// away. Authenticated ones do not count (`LoginQueue`). OpenSSH's `MaxStartups` starts
    /// dropping at 10 for the whole server.
    package var unauthenticatedPerSource = 10
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
            bind: bind, context: context, connections: connections,
            limits: .init(
                total: maximumConnections,
                logins: .init(
                    perSource: unauthenticatedPerSource, waitingPerSource: 3 * unauthenticatedPerSource,
                    waitingTotal: max(16, maximumConnections / 4)),
                penalties: sourcePolicy))
        acceptor.start()
        await registry.bound("ssh", address: address.description)

        try? await gracefulShutdown()
        await acceptor.stop()
        connections.requestShutdown(deadline: .now + shutdownGrace)
        await connections.waitUntilEmpty()
        context.logger.info("SSH server stopped")
    }
}
