package import Logging
import NIOCore
import NIOExtras
import NIOPosix
import NIOSSL
package import OpenrukoCore
import ServiceLifecycle

/// The HTTP router (`openruko daemon`'s `router=` listener, and `https=` when it has
/// certificates): a reverse proxy from `Host: APP.DOMAIN` (or a custom domain) to the app's up
/// web dynos. Both listeners share the event loops, the dyno connection pools and the proxy;
/// the TLS one decrypts first, speaks HTTP/2 to clients that offer it (ALPN `h2`,
/// `HTTP2Connection`) and tells dynos `X-Forwarded-Proto: https`.
///
/// ```swift
/// let router = RouterService(configuration: .init(listen: address), routes: table, logs: sink, registry: registry)
/// runtime.drain = router.drain   // retire dynos without failing requests
/// try await router.run()         // until graceful shutdown
/// ```
package struct RouterService: Service {
    package let configuration: RouterConfiguration
    /// Counts requests per dyno; the runtime waits on it before stopping an old dyno.
    package let drain: InFlightRequests
    private let routes: any RouteTable
    private let logs: any LogSink
    private let registry: ListenerRegistry?
    private let certificates: TLSCertificates?
    private let challenges: ACMEChallenges?
    private let gate: ConnectionGate

    /// - Parameters:
    ///   - routes: the runtime's view of apps and dynos, read on every request.
    ///   - logs: where the `heroku[router]` line of each request goes.
    ///   - registry: told the bound addresses as `router` and `https`.
    ///   - certificates: what the TLS listener (`configuration.tlsListen`) serves; without
    ///     them there is no TLS listener.
    ///   - logger: where refused connections are reported (rate-limited).
    ///   - challenges: the ACME HTTP-01 tokens the plain listener answers itself.
    package init(
        configuration: RouterConfiguration, routes: any RouteTable, logs: any LogSink, registry: ListenerRegistry? = nil,
        certificates: TLSCertificates? = nil, logger: Logger? = nil, challenges: ACMEChallenges? = nil
    ) {
        self.challenges = challenges
        self.configuration = configuration
        gate = ConnectionGate(
            total: configuration.maximumConnections,
            perSource: configuration.maximumConnectionsPerSource ?? configuration.maximumConnections / 2, logger: logger)
        self.routes = routes
        self.logs = logs
        self.registry = registry
        self.certificates = certificates
        drain = InFlightRequests()
    }

    /// Listens until graceful shutdown; then stops accepting, lets in-flight requests finish
    /// (up to `shutdownGrace`), and closes everything.
    package func run() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, configuration.threads))
        do {
            try await serve(on: group)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        try await group.shutdownGracefully()
    }

    private func serve(on group: MultiThreadedEventLoopGroup) async throws {
        let environment = ProxyEnvironment(
            configuration: configuration, routes: routes, logs: logs, inFlight: drain, challenges: challenges)
        var pools: [ObjectIdentifier: NIOLoopBoundBox<BackendPool>] = [:]
        for loop in group.makeIterator() {
            pools[ObjectIdentifier(loop)] = .makeBoxSendingValue(
                BackendPool(eventLoop: loop, configuration: configuration), eventLoop: loop)
        }
        let poolsByLoop = pools
        let plain = Listener(name: "router", option: "--router-listen", address: configuration.listen, environment: environment)
        var listeners = [plain]
        if let tlsListen = configuration.tlsListen, let certificates {
            var tlsConfiguration = configuration
            tlsConfiguration.forwardedProto = "https"
            let tlsEnvironment = ProxyEnvironment(configuration: tlsConfiguration, routes: routes, logs: logs, inFlight: drain)
            listeners.append(
                Listener(
                    name: "https", option: "--router-tls-listen", address: tlsListen, environment: tlsEnvironment,
                    certificates: certificates))
        }
        var quiescings: [ServerQuiescingHelper] = []
        for listener in listeners {
            let quiescing = ServerQuiescingHelper(group: group)
            let server = try await bind(listener, group: group, pools: poolsByLoop, quiescing: quiescing)
            quiescings.append(quiescing)
            let port = server.localAddress?.port ?? listener.address.port
            await registry?.bound(listener.name, address: ListenAddress(host: listener.address.host, port: port).description)
        }

        try? await gracefulShutdown()

        let drained = quiescings.map { quiescing in
            let promise = group.next().makePromise(of: Void.self)
            quiescing.initiateShutdown(promise: promise)
            return promise
        }
        let all = EventLoopFuture.andAllComplete(drained.map(\.futureResult), on: group.next())
        let grace = configuration.shutdownGrace
        let timeout = group.next().scheduleTask(in: grace) { drained.forEach { $0.succeed() } }
        try? await all.get()
        timeout.cancel()
        for box in poolsByLoop.values {
            try? await box.eventLoop.submit { box.value.closeAll() }.get()
        }
    }

    /// One listening socket of the router.
    private struct Listener {
        /// Its name in the ready line.
        var name: String
        /// Its flag, for the refusal when it cannot bind.
        var option: String
        var address: ListenAddress
        var environment: ProxyEnvironment
        /// Set for the TLS listener.
        var certificates: TLSCertificates?
    }

    private func bind(
        _ listener: Listener, group: MultiThreadedEventLoopGroup, pools: [ObjectIdentifier: NIOLoopBoundBox<BackendPool>],
        quiescing: ServerQuiescingHelper
    ) async throws -> any Channel {
        let environment = listener.environment
        let certificates = listener.certificates
        let gate = gate
        do {
            return try await ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 1024)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .serverChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(quiescing.makeServerChannelHandler(channel: channel))
                    }
                }
                .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
                .childChannelOption(.maxMessagesPerRead, value: 16)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        guard gate.admit(channel, plainHTTP: certificates == nil) else { return }
                        let pool = pools[ObjectIdentifier(channel.eventLoop)]!.value
                        if let certificates {
                            try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: certificates.context))
                            try HTTP2Connection.configure(channel, environment: environment, pool: pool, gate: gate)
                        } else {
                            try channel.pipeline.syncOperations.addHandler(ProxyHandler(environment: environment, pool: pool))
                        }
                    }
                }
                .bind(host: listener.address.host, port: listener.address.port)
                .get()
        } catch {
            throw OpenrukoError(.unavailable, "The router cannot listen on \(listener.address) (\(listener.option)): \(error)")
        }
    }
}
