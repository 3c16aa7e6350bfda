import Foundation
import Logging
import OpenrukoCore
import Isolation
import ServiceLifecycle
import Store

/// Keeps the add-on Redis servers up while the daemon runs: starts them at launch, checks
/// them every few seconds and restarts one that died (logged in the daemon's log and in its
/// app's log), and stops them (each writes its final snapshot) when the daemon stops
/// gracefully. A daemon that crashes leaves them running: the next daemon adopts them.
struct RedisSupervisor: Service {
    let layout: DataLayout
    let store: PlatformStore
    let logs: any LogSink
    let logger: Logger
    /// Between two checks.
    var interval: Duration = .seconds(3)

    /// The servers of the add-ons the store holds (a directory without one is debris of an
    /// interrupted `addons:create` or `addons:destroy`: left alone), with their apps.
    func servers() -> [(RedisServer, UUID)] {
        ((try? store.allAddons()) ?? []).filter { $0.service == AddonCatalog.redis.name && RedisServer.isValidID($0.credentials.database) }
            .map { (RedisServer(layout: layout, id: $0.credentials.database, serverUser: RedisProvisioner.serverUser), $0.appID) }
            .filter { $0.0.exists }
    }

    func run() async throws {
        for (server, _) in servers() where !server.isRunning {
            do {
                try await server.start(nil)
            } catch {
                logger.error("The Redis server \(server.id) did not start: \(error.message)")
            }
        }
        await withGracefulShutdownHandler {
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                try? await Task.sleep(for: interval)
                guard !Task.isCancelled, !Task.isShuttingDownGracefully else { continue }
                for (server, app) in servers() where !server.isRunning { await restart(server, app: app) }
            }
        } onGracefulShutdown: {}
        for server in RedisServer.all(layout, serverUser: nil) { await server.stop() }
    }

    /// Starts a server that died, telling the daemon's log and its app's log (not when
    /// another openruko process started it first).
    func restart(_ server: RedisServer, app: UUID) async {
        do {
            guard try await server.start(nil) else { return }
            logger.warning("The Redis server \(server.id) had stopped; restarted it.")
            logs.emit(LogLine(appID: app, source: "heroku", process: "redis", message: "Redis server stopped unexpectedly; restarted"))
        } catch {
            logger.error("The Redis server \(server.id) had stopped and did not restart: \(error.message)")
            logs.emit(LogLine(appID: app, source: "heroku", process: "redis", message: "Redis server stopped unexpectedly; restarting failed"))
        }
    }

    /// Lets dynos reach every server of this data directory at their gateway (at the daemon's start).
    static func allow(_ layout: DataLayout, network: SandboxNetwork, tag: String) async throws(OpenrukoError) {
        for server in RedisServer.all(layout, serverUser: nil) {
            if let port = server.port { try await network.allow(address: "127.0.0.1", port: port, tag: tag) }
        }
    }
}
