import NIOCore
import NIOExtras
import NIOPosix
package import OpenrukoCore
import ServiceLifecycle

/// The HTTP router (`openruko daemon`'s `router=` listener): a reverse proxy from
/// `Host: APP.DOMAIN` (or a custom domain) to the app's up web dynos.
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

    /// - Parameters:
    ///   - routes: the runtime's view of apps and dynos, read on every request.
    ///   - logs: where the `heroku[router]` line of each request goes.
    ///   - registry: told the bound address as `router`.
    package init(
        configuration: RouterConfiguration, routes: any RouteTable, logs: any LogSink, registry: ListenerRegistry? = nil
    ) {
        self.configuration = configuration
        self.routes = routes
        self.logs = logs
        self.registry = registry
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
        let environment = ProxyEnvironment(configuration: configuration, routes: routes, logs: logs, inFlight: drain)
        var pools: [ObjectIdentifier: NIOLoopBoundBox<BackendPool>] = [:]
        for loop in group.makeIterator() {
            pools[ObjectIdentifier(loop)] = .makeBoxSendingValue(
                BackendPool(eventLoop: loop, configuration: configuration), eventLoop: loop)
        }
        let poolsByLoop = pools
        let quiescing = ServerQuiescingHelper(group: group)
        let server = try await bind(group: group, environment: environment, pools: poolsByLoop, quiescing: quiescing)
        let port = server.localAddress?.port ?? configuration.listen.port
        await registry?.bound("router", address: ListenAddress(host: configuration.listen.host, port: port).description)

        try? await gracefulShutdown()

        let drained = group.next().makePromise(of: Void.self)
        quiescing.initiateShutdown(promise: drained)
        let grace = configuration.shutdownGrace
        let timeout = group.next().scheduleTask(in: grace) { drained.succeed() }
        try? await drained.futureResult.get()
        timeout.cancel()
        for box in poolsByLoop.values {
            try? await box.eventLoop.submit { box.value.closeAll() }.get()
        }
    }

    private func bind(
        group: MultiThreadedEventLoopGroup, environment: ProxyEnvironment,
        pools: [ObjectIdentifier: NIOLoopBoundBox<BackendPool>], quiescing: ServerQuiescingHelper
    ) async throws -> any Channel {
        do {
            return try await ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 1024)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .serverChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(quiescing.makeServerChannelHandler(channel: channel))
                    }
                }
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .childChannelOption(.maxMessagesPerRead, value: 16)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let pool = pools[ObjectIdentifier(channel.eventLoop)]!.value
                        try channel.pipeline.syncOperations.addHandler(ProxyHandler(environment: environment, pool: pool))
                    }
                }
                .bind(host: configuration.listen.host, port: configuration.listen.port)
                .get()
        } catch {
            throw OpenrukoError(.unavailable, "The router cannot listen on \(configuration.listen) (--router-listen): \(error)")
        }
    }
}
