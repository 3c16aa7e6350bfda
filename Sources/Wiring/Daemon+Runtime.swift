import Foundation
import Logging
import Isolation
import OpenrukoCore
import Runtime
import ServiceLifecycle
import Store
import Synchronization

/// The daemon's runtime: the dyno supervisor (also the route table's keeper), the release
/// phase, the log, and the control socket other processes use. A class: large structs made
/// through typed throws were miscompiled (a garbage copy) by Swift 6.3.
final class DaemonRuntime: Sendable {
    let host: DynoHost
    let routes: RuntimeRoutes
    let drain: TrafficDrainRelay
    let logs: any LogSink & LogReader
    let layout: DataLayout
    /// Set once the installation's store exists.
    private let made = SupervisorBox()

    /// - Throws: `OpenrukoError` for a malformed setting or a missing bubblewrap.
    init(
        layout: DataLayout, domain: String, logs: any LogSink & LogReader,
        environment: [String: String] = ProcessInfo.processInfo.environment) throws(OpenrukoError) {
        let settings: RuntimeSettings
        do {
            settings = try RuntimeSettings.from(environment: environment)
        } catch {
            throw OpenrukoError(.invalid, error.description)
        }
        self.logs = logs
        host = try DynoHost(layout: layout, logs: logs, settings: settings)
        routes = RuntimeRoutes(domain: domain)
        drain = TrafficDrainRelay()
        self.layout = layout
    }

    /// Prepares dyno networking (bridge, rules, this daemon's allowed host services) and
    /// removes the namespaces and dyno cgroups that a killed daemon or hook left behind.
    /// - Throws: `OpenrukoError.unavailable` when the host's networking cannot be set up.
    func prepareNetwork(logger: Logger) async throws(OpenrukoError) {
        let cgroups = ProcessCgroup.removeEmpty(prefix: "openruko-dyno-")
        if cgroups > 0 { logger.info("Removed \(cgroups) cgroups left by stopped dynos.") }
        PostgresServer.recordDynoNetwork(layout, subnet: host.sandbox.network?.plan.subnet, gateway: host.sandbox.network?.plan.gateway)
        guard let network = host.sandbox.network else {
            try await prepareUserNetwork(logger: logger)
            return
        }
        try await network.prepareHost(tag: networkTag)
        // The add-on PostgreSQL server (once it exists; `PostgresServer` adds the rule when it
        // makes it) listens on the host's loopback; dynos reach it at their gateway.
        let postgres = PostgresServer.forInstallation(layout)
        if let admin = try PostgresAdminSetting.current(layout) {
            // The admin's server, when on the host's loopback, the same way.
            if admin.isLoopback { try await network.allow(address: "127.0.0.1", port: admin.port, tag: networkTag) }
        } else if postgres.isInitialized {
            try await network.allow(address: "127.0.0.1", port: try await postgres.port(), tag: networkTag)
        }
        try await RedisSupervisor.allow(layout, network: network, tag: networkTag)
        let removed = await network.removeStale()
        if removed > 0 { logger.info("Removed \(removed) network namespaces left by stopped dynos and builds.") }
        logger.info("Dynos get addresses in \(network.plan.subnet) on \(NetworkPlan.bridge).")
    }

    /// Removes what dynos of a dead daemon or hook left (processes, `/app` mounts).
    func removeStaleDynos() {
        host.filesystem.removeStale()
    }

    /// Stops the web dynos started to check a release that failed before going live.
    func discardCandidates(appID: UUID, releaseID: UUID) async {
        await made.value?.discardCandidates(appID: appID, releaseID: releaseID)
    }

    /// Marks this data directory's allowed-service rules (other daemons on the host keep theirs).
    var networkTag: String { Self.networkTag(layout) }

    /// The allowed-service tag of the daemon of `layout` (any process may add rules under it).
    static func networkTag(_ layout: DataLayout) -> String {
        "openruko-" + String(layout.root.utf8.reduce(UInt32(2_166_136_261)) { ($0 ^ UInt32($1)) &* 16_777_619 }, radix: 16)
    }

    /// Removes this daemon's allowed-service rules (at a graceful stop).
    func withdrawNetwork() async {
        await host.sandbox.network?.withdraw(tag: networkTag)
    }

    /// The seams of the daemon's platform, made from its store.
    func seams(_ store: PlatformStore) -> (any RuntimeControl, any ReleasePhaseRunner) {
        let supervisor = DynoSupervisor(host: host, store: store, routes: routes, drain: drain)
        made.set(supervisor)
        return (supervisor, ReleasePhase(host: host))
    }

    /// The supervisor (after `seams`).
    var supervisor: DynoSupervisor { made.value! }

    /// The services: the supervisor first (it stops last), then the control socket.
    /// `door`: where `openruko ssh-command`'s attached one-offs connect.
    func services(logger: Logger, door: ControlServer.RendezvousDoor? = nil) -> [any Service] {
        [
            supervisor,
            ControlServer(
                layout: layout, runtime: supervisor, releasePhase: ReleasePhase(host: host), logs: logs, sink: logs, logger: logger,
                door: door),
        ]
    }
}

/// Holds the supervisor made during `Installation.open`.
final class SupervisorBox: Sendable {
    private let box = Mutex<DynoSupervisor?>(nil)
    func set(_ supervisor: DynoSupervisor) { box.withLock { $0 = supervisor } }
    var value: DynoSupervisor? { box.withLock { $0 } }
}
