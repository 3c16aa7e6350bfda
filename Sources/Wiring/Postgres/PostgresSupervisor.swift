import Foundation
import Logging
import OpenrukoCore
import ServiceLifecycle
import Store

/// Keeps the add-on server up while the daemon runs: starts it at launch when the cluster
/// exists, checks it every few seconds and restarts it when it died (logged in the daemon's
/// log and in the log of every app with an add-on on it), and stops it (fast, consistent)
/// when the daemon stops gracefully. A daemon that crashes leaves it running: the next
/// daemon adopts it; PostgreSQL's own recovery protects the data either way.
struct PostgresSupervisor: Service {
    let server: PostgresServer
    let store: PlatformStore
    let logs: any LogSink
    let logger: Logger
    /// Between two checks.
    var interval: Duration = .seconds(3)

    func run() async throws {
        if server.isInitialized {
            do {
                try await server.ensureRunning()
                logger.info("PostgreSQL for add-ons is running (\(server.root)).")
            } catch {
                logger.error("PostgreSQL for add-ons did not start: \(error.message)")
            }
        }
        await withGracefulShutdownHandler {
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                try? await Task.sleep(for: interval)
                guard !Task.isCancelled, !Task.isShuttingDownGracefully, server.isInitialized, !server.isRunning else { continue }
                await restart()
            }
        } onGracefulShutdown: {}
        await server.stop()
    }

    /// Starts a server that died, telling the daemon's log and the affected apps' logs (not
    /// when another openruko process started it first, as on the first `addons:create`).
    func restart() async {
        let apps = Set(((try? store.allAddons()) ?? []).map(\.appID))
        do {
            guard try await server.start().started else { return }
            logger.warning("PostgreSQL for add-ons had stopped; restarted it.")
            for app in apps {
                logs.emit(LogLine(appID: app, source: "heroku", process: "postgres", message: "Database server stopped unexpectedly; restarted"))
            }
        } catch {
            logger.error("PostgreSQL for add-ons had stopped and did not restart: \(error.message)")
            for app in apps {
                logs.emit(LogLine(appID: app, source: "heroku", process: "postgres", message: "Database server stopped unexpectedly; restarting failed"))
            }
        }
    }
}
