import AppLogs
import Builder
package import Commands
import Foundation
package import Logging
package import OpenrukoCore
import Operations
import PlatformAPI
import ServiceLifecycle
import UnixSignals

/// `openruko daemon`: opens the data directory and runs every long-lived part as one
/// `ServiceGroup` (dependencies first; shutdown in reverse on SIGTERM/SIGINT).
///
/// ```swift
/// let daemon = try Daemon(configuration: configuration)
/// try await daemon.run()
/// ```
package struct Daemon: Sendable {
    package let configuration: DaemonConfiguration
    package let installation: Installation
    let registry: ListenerRegistry
    let logger: Logger
    let runtime: DaemonRuntime
    /// The log store (every app's log, tails, drains).
    let logs: LogStore
    /// The commands served over SSH (tests add some).
    let commandTable: CommandTable

    /// Opens the data directory and migrates the store.
    /// - Throws: `OpenrukoError` when the data directory cannot be prepared.
    package init(
        configuration: DaemonConfiguration, logger: Logger = Logger(label: "openruko"), commandTable: CommandTable = .standard
    ) throws(OpenrukoError) {
        self.configuration = configuration
        self.logger = logger
        self.commandTable = commandTable
        // Listeners register here as the parts that listen (SSH, API, router) are added.
        registry = ListenerRegistry(expected: Self.listenerNames + (configuration.apiTLSListen == nil ? [] : [APITLSListener.registryName]))
        try Installation.prepareDirectories(configuration.layout)  // DATA_DIR 0711 before sandboxes check it
        try PostgresAdminSetting.record(configuration.layout)  // where add-on databases are made, for every openruko process
        let limits = AppLogLimits()
        let logs = try Installation.logStore(configuration.layout, limits: limits)
        self.logs = logs
        let runtime = try DaemonRuntime(layout: configuration.layout, domain: configuration.domain, logs: logs)
        self.runtime = runtime
        installation = try Installation.open(configuration.layout, logs: logs) { store in runtime.seams(store) }
        limits.attach(installation.store)
    }

    /// The listeners announced in the ready line, in order.
    static let listenerNames: [String] = ["ssh", "api", "router", "https", "rendezvous"]

    /// Every long-running part, dependencies first (they stop in reverse order).
    func services() throws -> [any Service] {
        // The API's builds: cancelled cleanly at shutdown, after the listeners stopped.
        let builds = BuildTasks()
        let (certificates, authority) = try PlatformTLS(configuration: configuration, logger: logger).load()
        let rendezvous = RendezvousBoard()  // attach secrets: posted by the API, claimed by the rendezvous listener
        let rendezvousCertificate = try rendezvousCertificate(authority)
        let door = try rendezvousDoor(rendezvousCertificate, board: rendezvous)  // ssh-command's one-offs (OpenSSH mode)
        // The log store first: it stops last, so every other part's final lines reach the disk.
        // The add-on database server next: it stops after the dynos that use it.
        // (None with OPENRUKO_POSTGRES_ADMIN_URL: the databases live on the admin's server.)
        let server = PostgresServer.forInstallation(configuration.layout)
        let external = try PostgresAdminSetting.current(configuration.layout)
        if let external, server.isInitialized {
            logger.warning("Add-on databases are made on \(external.redacted); openruko's own PostgreSQL server is not started, so the databases on it are unreachable.")
        }
        let postgres: [any Service] =
            external != nil ? [] : [PostgresSupervisor(server: server, store: installation.store, logs: logs, logger: logger)]
        let redis = RedisSupervisor(layout: configuration.layout, store: installation.store, logs: logs, logger: logger)
        return [installation.logService(logs)] + postgres + [redis] + runtime.services(logger: logger, door: door) + [
            BuildTasksService(tasks: builds),
            RecoverySweepService(
                store: installation.store, layout: configuration.layout, logger: logger,
                removeStaleDynos: { [runtime] in runtime.removeStaleDynos() },
                discardCandidates: { [runtime] in await runtime.discardCandidates(appID: $0, releaseID: $1) },
                settleHeldDeploys: { [platform = installation.platform] in await HeldDeploySettler.settle(platform: platform, holdingLock: false) }),
            try DiskCollectorService(platform: installation.platform, logger: logger),  // retention and GC (issue 20)
            BackupScheduler(platform: installation.platform, logger: logger),  // daily pg:backups:schedule captures (issue 19)
            try MemoryTrimmer.fromEnvironment(logger: logger),  // freed memory back to the system (issue 21)
            StackBootstrapService(platform: installation.platform, logger: logger, environment: ProcessInfo.processInfo.environment),
            APIServer(
                platform: installation.platform, listen: configuration.apiListen, registry: registry,
                builds: try installation.buildService(tasks: builds), logs: logs,
                rateLimit: configuration.apiRateLimit, capabilityKeyFile: configuration.layout.root + "/api-capability.key",
                git: GitHTTPSettings(resources: try Resources.locate()), tls: try apiTLSListener(certificates),
                rendezvous: rendezvous, logger: logger),
            try sshServer(),
        ] + (try routerServices(certificates, authority)) + [try rendezvousServer(rendezvousCertificate, board: rendezvous)]
    }

    /// Runs until SIGTERM or SIGINT, then stops every service gracefully.
    package func run() async throws {
        signal(SIGPIPE, SIG_IGN)
        DescriptorLimit.raiseToHardLimit()  // before any listener opens
        try await runtime.prepareNetwork(logger: logger)
        // A push whose receive-pack died after moving the branch lands before the rest is failed.
        await HeldDeploySettler.settle(platform: installation.platform, holdingLock: false, converge: false)
        for rename in installation.platform.finishInterruptedRenames() {
            logger.notice("Finished moving the files of the app renamed \(rename) before the daemon was stopped.")
        }
        Recovery.failInterrupted(store: installation.store, layout: configuration.layout, logger: logger)
        let announcer = ReadyAnnouncer(
            registry: registry, layout: configuration.layout, domain: configuration.domain,
            urls: installation.platform.urlSource)
        let services = try services() + [announcer]
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services.map { .init(service: $0) },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
        await runtime.withdrawNetwork()
    }
}

/// Prints `openruko ready …` and writes `daemon.json` once every listener is bound; removes
/// `daemon.json` on shutdown.
struct ReadyAnnouncer: Service {
    let registry: ListenerRegistry
    let layout: DataLayout
    let domain: String
    let urls: PublicURLSource

    func run() async throws {
        let bound = await registry.waitForAll()
        guard !Task.isCancelled else { return }  // a listener failed: the group is stopping
        let names = await registry.names
        var info = DaemonInfo(
            ssh: bound["ssh"], api: bound["api"], router: bound["router"], https: bound["https"],
            apiTLS: bound[APITLSListener.registryName], domain: domain, pid: getpid())
        info.rendezvous = bound["rendezvous"]
        urls.update(info.publicURLs)
        try info.write(layout)
        let fields = names.map { "\($0)=\(bound[$0]!)" }
        let line = (["openruko ready"] + fields).joined(separator: " ") + "\n"
        FileHandle.standardOutput.write(Data(line.utf8))
        try? await gracefulShutdown()
        try? FileManager.default.removeItem(atPath: layout.daemonInfo)
    }
}
