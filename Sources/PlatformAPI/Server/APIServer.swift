import Hummingbird
import HummingbirdCore
import HummingbirdTLS
package import Logging
import NIOCore
package import OpenrukoCore
package import Operations
import ServiceLifecycle

/// The Heroku Platform API v3 over HTTP (Hummingbird): what the `heroku` CLI (via
/// `HEROKU_HOST`) and heroku3 talk to. Every rule lives in the operations layer; the
/// controllers only translate. Runs as a `Service` of the daemon's group and stops
/// gracefully with it.
///
/// ```swift
/// let api = APIServer(platform: platform, listen: configuration.apiListen, registry: registry)
/// try await ServiceGroup(services: [api], logger: logger).run()
/// ```
package struct APIServer: Service {
    let environment: APIEnvironment
    let listen: ListenAddress
    let registry: ListenerRegistry?
    let logger: Logger
    /// The TLS listener beside the plain one, when configured.
    let tls: APITLSListener?

    /// - Parameters:
    ///   - listen: where to listen (port 0 picks one; the bound address is reported to `registry` as "api").
    ///   - capabilityKeyFile: where the key of capability URLs is kept across restarts; nil keeps it in memory.
    ///   - builds: the builder, for `POST /apps/{app}/builds` and live build output; nil when absent.
    ///   - logs: the log store, for log sessions; nil when absent.
    ///   - rateLimit: requests per hour per user (Heroku's 4,500 by default).
    ///   - heartbeat: how often tailing SSE log streams send a comment.
    ///   - git: git's smart HTTP at `/APP.git`; nil answers it with 503.
    ///   - tls: a TLS listener serving the same routes (reported to `registry` as "api-tls").
    ///   - rendezvous: the attach secrets of `heroku run` (`POST /apps/{app}/dynos` with `attach`); nil answers it with 503.
    package init(
        platform: Platform, listen: ListenAddress, registry: ListenerRegistry?, builds: (any BuildService)? = nil,
        logs: (any LogReader)? = nil, rateLimit: Int = 4500, heartbeat: Duration = .seconds(30),
        capabilityKeyFile: String? = nil, git: GitHTTPSettings? = nil, tls: APITLSListener? = nil,
        rendezvous: RendezvousBoard? = nil, logger: Logger = Logger(label: "openruko.api")
    ) {
        var environment = APIEnvironment(
            platform: platform, builds: builds, logs: logs,
            capabilities: capabilityKeyFile.map { CapabilityKey.persistent(at: $0) } ?? CapabilityKey(),
            rateLimiter: RateLimiter(capacity: rateLimit, file: platform.layout.run + "/rate-limits.json"),
            passwordLogin: PasswordLogin(),
            heartbeat: heartbeat)
        environment.git = git
        environment.rendezvous = rendezvous
        self.environment = environment
        self.tls = tls
        self.listen = listen
        self.registry = registry
        self.logger = logger
    }

    package func run() async throws {
        // The rate limits survive a restart: saved now and then, and when the server stops.
        let limiter = environment.rateLimiter
        let saver = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: RateLimiter.saveInterval)
                limiter.save()
            }
        }
        defer {
            saver.cancel()
            limiter.save()
        }
        try await serve()
    }

    private func serve() async throws {
        guard let tls else { return try await application().run() }
        var secure = environment
        secure.scheme = "https"
        // One connection budget for both listeners.
        let limiter = ConnectionLimiter.sized(forDescriptors: ConnectionBudget.descriptorLimit, logger: quietLogger)
        let plain = application(environment: environment, listen: listen, name: "api", server: Self.http1(limiter))
        let encrypted = application(
            environment: secure, listen: tls.listen, name: APITLSListener.registryName,
            server: try .tls(Self.http1(limiter), tlsConfiguration: tls.configuration))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await plain.run() }
            group.addTask { try await encrypted.run() }
            // One listener ending (or failing to bind) ends both.
            try await group.next()
            group.cancelAll()
        }
    }

    /// The Hummingbird application of the plain listener (tests drive it in-process).
    func application() -> some ApplicationProtocol {
        let limiter = ConnectionLimiter.sized(forDescriptors: ConnectionBudget.descriptorLimit, logger: quietLogger)
        return application(environment: environment, listen: listen, name: "api", server: Self.http1(limiter))
    }

    private var quietLogger: Logger {
        var logger = logger
        logger.logLevel = .warning
        return logger
    }

    /// HTTP/1.1 with the API's connection guards: the cap per source, malformed requests and
    /// unread responses closed, the idle timeout.
    private static func http1(_ limiter: ConnectionLimiter) -> HTTPServerBuilder {
        .http1(
            configuration: .init(
                additionalChannelHandlers: [limiter.handler(), MalformedRequestCloser(), UnreadResponseCloser()],
                idleTimeout: Self.idleTimeout))
    }

    private func application(
        environment: APIEnvironment, listen: ListenAddress, name: String, server: HTTPServerBuilder
    ) -> some ApplicationProtocol {
        let registry = registry
        return Application(
            responder: APIResponder(router: Self.router(environment).buildResponder(), environment: environment),
            server: server,
            configuration: .init(address: .hostname(listen.host, port: listen.port), serverName: "openruko"),
            onServerRunning: { channel in
                guard let registry, let address = channel.localAddress, let port = address.port else { return }
                await registry.bound(name, address: ListenAddress(host: address.ipAddress ?? "127.0.0.1", port: port).description)
            },
            logger: quietLogger)
    }

    /// A connection that sends no request bytes for this long while no response is being
    /// written is closed: slow heads, stalled bodies and idle keep-alives (the router's
    /// `clientIdleTimeout` too). Tailing log streams are responses and never time out while their
    /// client reads them (`UnreadResponseCloser` closes those whose client stopped reading).
    static let idleTimeout: TimeAmount = .seconds(60)

    /// Every route, one controller per Heroku resource.
    static func router(_ environment: APIEnvironment) -> Router<APIContext> {
        let router = Router(context: APIContext.self)
        router.add(middleware: ErrorMiddleware())
        router.get("/health") { _, _ in Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "ok\n"))) }
        AccountController(environment: environment).register(on: router)
        OAuthController(environment: environment).register(on: router)
        KeyController(environment: environment).register(on: router)
        AppController(environment: environment).register(on: router)
        StackController(environment: environment).register(on: router)
        ConfigVarController(environment: environment).register(on: router)
        ReleaseController(environment: environment).register(on: router)
        FormationController(environment: environment).register(on: router)
        DynoController(environment: environment).register(on: router)
        CollaboratorController(environment: environment).register(on: router)
        SNIEndpointController(environment: environment).register(on: router)
        ACMController(environment: environment).register(on: router)
        DomainController(environment: environment).register(on: router)
        BuildpackInstallationController(environment: environment).register(on: router)
        BuildController(environment: environment).register(on: router)
        SourceController(environment: environment).register(on: router)
        SlugController(environment: environment).register(on: router)
        LogSessionController(environment: environment).register(on: router)
        LogDrainController(environment: environment).register(on: router)
        AddonController(environment: environment).register(on: router)
        StubController(environment: environment).register(on: router)
        return router
    }
}
